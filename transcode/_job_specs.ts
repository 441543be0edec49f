// Building the ffmpeg job of a derived stream: which container goes in and
// out (ffmpeg 5.1 reads no Opus from FLV, so an Opus source goes in as TS and
// an Opus output comes back as TS), which arguments, which size (the ladder
// planned against the source's video config).
import { parseCodecConfig } from "../media/codec/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import type { StreamHandle } from "../src/mod.ts";
import {
  audioBridgeArgs,
  type PipeFormat,
  renditionArgs,
} from "./ffmpeg_args.ts";
import {
  derivedKey,
  planLadder,
  type PlannedRendition,
  type RenditionSpec,
} from "./ladder.ts";
import type { TranscodeServiceOptions } from "./transcode_types.ts";
import type { JobSpec } from "./_transcode_job.ts";
import type { LadderSpec } from "./_ladder_job.ts";
import { tickedAvailable } from "./_ticked_io.ts";

/** The job of `{source}~{variant}`, or undefined when no such variant. */
export function jobSpecOf(
  o: TranscodeServiceOptions,
  source: string,
  variant: string,
  plan: readonly PlannedRendition[],
): JobSpec | undefined {
  const base = {
    key: derivedKey(source, variant),
    source,
    variant,
    ffmpegPath: o.ffmpegPath ?? "ffmpeg",
    maxQueueBytes: o.maxQueueBytes ?? 8 << 20,
    maxQueueMs: o.maxQueueMs ?? 3000,
    backoffMs: o.restartBackoffMs ?? 500,
    maxBackoffMs: o.maxRestartBackoffMs ?? 10_000,
  };
  if (variant === "opus" || variant === "aac") {
    const input: PipeFormat = variant === "aac" ? "mpegts" : "flv";
    const output: PipeFormat = variant === "opus" ? "mpegts" : "flv";
    if (output === "mpegts" && !o.createTsReader) {
      throw new StreamError(
        "Unsupported",
        `Cannot start ${base.key}: an Opus bridge needs createTsReader (an MPEG-TS demuxer)`,
      );
    }
    return {
      ...base,
      args: audioBridgeArgs(variant, { input, output }),
      input,
      output,
      createReader: output === "mpegts" ? o.createTsReader : undefined,
    };
  }
  const rendition = plan.find((r) => r.name === variant);
  if (!rendition) return undefined;
  return {
    ...base,
    args: renditionArgs(rendition, {
      preset: o.preset ?? "veryfast",
      threads: o.threads ?? 0,
      input: "flv",
      output: "flv",
      audio: "none",
    }),
    input: "flv",
    output: "flv",
    bypass: "audio", // copied unchanged: merged back, never piped
  };
}

/** A ladder's pipe I/O tick when none is given, ms (see _io_tick.ts). */
export const DEFAULT_IO_INTERVAL_MS = 0;

/** The tick of ticked ladder sockets when none is given, ms (_ticked_io.ts). */
export const DEFAULT_LADDER_TICK_MS = 40;

/**
 * The ladder output mode: the one asked for, else `"ticked"` when FFI
 * sockets can work here (`available`, injected by tests), else `"packet"`.
 */
export function ladderOutputOf(
  o: Pick<TranscodeServiceOptions, "ladderOutput">,
  available: () => boolean = tickedAvailable,
): "packet" | "buffered" | "ticked" {
  return o.ladderOutput ?? (available() ? "ticked" : "packet");
}

/** The lazy ladder of `source`: its renditions' job specs run by one ffmpeg. */
export function ladderSpecOf(
  o: TranscodeServiceOptions,
  source: string,
  renditions: LadderSpec["renditions"],
  available: () => boolean = tickedAvailable,
): LadderSpec {
  const output = ladderOutputOf(o, available);
  return {
    source,
    renditions,
    ffmpegPath: o.ffmpegPath ?? "ffmpeg",
    preset: o.preset ?? "veryfast",
    threads: o.threads ?? 0,
    maxQueueBytes: o.maxQueueBytes ?? 8 << 20,
    maxQueueMs: o.maxQueueMs ?? 3000,
    ioIntervalMs: o.ioIntervalMs ?? DEFAULT_IO_INTERVAL_MS,
    flushPackets: output !== "buffered",
    tickMs: output === "ticked"
      ? Math.max(1, o.ladderTickMs ?? DEFAULT_LADDER_TICK_MS)
      : 0,
    backoffMs: o.restartBackoffMs ?? 500,
    maxBackoffMs: o.maxRestartBackoffMs ?? 10_000,
  };
}

/** The ladder planned against the stream's video config (cached or given). */
export function planFor(
  handle: StreamHandle,
  ladder: readonly RenditionSpec[],
  config?: MediaFrame,
): PlannedRendition[] {
  config ??= handle.gopCache.configFrames().find((f) => f.kind === "video");
  if (!config) return [];
  let width = 0, height = 0;
  try {
    const info = parseCodecConfig(config);
    width = info.width ?? 0;
    height = info.height ?? 0;
  } catch { /* an unreadable config: no renditions */ }
  return planLadder(width, height, ladder);
}

/** The source's video config: from its cache, else the first one published (bounded wait). */
export async function waitForVideoConfig(
  handle: StreamHandle,
): Promise<MediaFrame | undefined> {
  const cached = handle.gopCache.configFrames().find((f) => f.kind === "video");
  if (cached) return cached;
  const sub = handle.subscribe({ replay: true, waitForKeyframe: false });
  try {
    for (let i = 0; i < 600; i++) {
      const frame = await sub.next();
      if (frame === null) return undefined;
      if (frame.kind === "video" && frame.config) return frame;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    sub.close("video config found");
  }
}
