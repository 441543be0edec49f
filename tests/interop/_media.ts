// Media for the player interop tests: short H.264/AAC clips encoded by
// ffmpeg (lavfi test sources) into FLV and read back as frames, plus a
// "switched" stream: one publish whose encoder restarts at another
// resolution and frame rate (new sequence headers on the same connection).
import type { MediaFrame } from "../../media/frame.ts";
import { readFlvFile } from "../../media/flv/mod.ts";
import { run } from "../_tools.ts";

/** What to encode. */
export interface ClipOptions {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** Default true. */
  video?: boolean;
  /** Default true. */
  audio?: boolean;
  /** Tone frequency (tells the two halves of a switch apart). */
  toneHz?: number;
}

const cache = new Map<string, Promise<MediaFrame[]>>();

/** Encode a clip (1 s GOP, x264 ultrafast, AAC 44.1 kHz) and return its frames. */
export function encodeClip(options: ClipOptions): Promise<MediaFrame[]> {
  const key = JSON.stringify(options);
  let clip = cache.get(key);
  if (clip === undefined) {
    clip = encode(options);
    cache.set(key, clip);
  }
  return clip;
}

async function encode(o: ClipOptions): Promise<MediaFrame[]> {
  const video = o.video !== false;
  const audio = o.audio !== false;
  const args = ["-v", "error"];
  if (video) {
    args.push(
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}:duration=${o.seconds}`,
    );
  }
  if (audio) {
    args.push(
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${
        o.toneHz ?? 440
      }:sample_rate=44100:duration=${o.seconds}`,
    );
  }
  if (video) {
    args.push(
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-tune",
      "zerolatency",
      "-pix_fmt",
      "yuv420p",
      "-g",
      String(o.fps),
      "-keyint_min",
      String(o.fps),
    );
  }
  if (audio) args.push("-c:a", "aac", "-b:a", "64k");
  args.push("-f", "flv", "pipe:1");
  const child = new Deno.Command("ffmpeg", {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  if (!out.success) {
    throw new Error(`ffmpeg failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return readFlvFile(out.stdout).frames;
}

/** `frames` with every timestamp moved by `offsetMs` (1000-timescale frames). */
export function shifted(
  frames: readonly MediaFrame[],
  offsetMs: number,
): MediaFrame[] {
  return frames.map((f) => ({
    ...f,
    pts: f.pts + Math.round((offsetMs * f.timescale) / 1000),
    dts: f.dts + Math.round((offsetMs * f.timescale) / 1000),
  }));
}

/** Decode end of a clip in ms (last media dts plus one frame, roughly). */
export function endMs(frames: readonly MediaFrame[]): number {
  let end = 0;
  for (const f of frames) {
    if (!f.config && f.kind !== "data") {
      end = Math.max(end, (f.dts * 1000) / f.timescale);
    }
  }
  return Math.ceil(end) + 34;
}

/**
 * One publish that switches encoder mid-stream: `first` then `second`
 * (with its sequence headers), timestamps continuing as on one connection.
 */
export async function switchedStream(
  first: ClipOptions,
  second: ClipOptions,
): Promise<{ frames: MediaFrame[]; switchMs: number }> {
  const a = await encodeClip(first);
  const b = await encodeClip(second);
  const switchMs = endMs(a);
  // Script data (onMetaData) of the second clip is left out: a live encoder
  // restart re-sends sequence headers; metadata is optional.
  const tail = shifted(b.filter((f) => f.kind !== "data"), switchMs);
  return { frames: [...a, ...tail], switchMs };
}

/** ffmpeg `-v error` decode of `input` to null: stderr (empty when clean). */
export async function decodeErrors(
  input: string,
  extra: string[] = [],
): Promise<string> {
  const r = await run("ffmpeg", [
    "-v",
    "error",
    ...extra,
    "-i",
    input,
    "-f",
    "null",
    "-",
  ], { timeoutMs: 30_000 });
  // The null muxer's complaints (a 30 → 60 fps switch in one output
  // stream) are about ffmpeg's own output timing, not the input: dropped.
  const errors = r.stderr.split("\n").filter((line) =>
    line.trim() !== "" && !line.startsWith("[null @")
  ).join("\n");
  return r.code === 0 ? errors : `exit ${r.code}: ${r.stderr}`;
}
