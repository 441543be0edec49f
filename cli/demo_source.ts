/**
 * The demo's live source: a recorded FLV clip replayed in real time, looped
 * forever with timestamps that keep increasing, so a player sees one endless
 * live stream. The clip is read once into memory (a few hundred KB) and its
 * frames are re-published as new frame objects that share the clip's payload
 * bytes (only timestamps differ), so looping allocates no payload memory.
 *
 * @module
 */
import type { MediaFrame, MediaSource } from "../mod.ts";
import { readFlvFile } from "../media/flv/mod.ts";

/** The bundled clip: 10 s of 640x360 H.264 + AAC, made by `examples/assets/make_sample.sh`. */
export const SAMPLE_CLIP_URL: URL = new URL(
  "../examples/assets/sample.flv",
  import.meta.url,
);

/** Options for {@linkcode loopingClipSource}. */
export interface LoopingClipOptions {
  /** Stop after this many loops (default: forever). */
  loops?: number;
  /** Wall clock in ms (default `performance.now`). */
  now?: () => number;
  /** Sleep (default `setTimeout`); injected by tests to run faster than real time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Load an FLV clip (file: or https: URL) into frames. */
export async function loadClip(
  url: URL = SAMPLE_CLIP_URL,
): Promise<MediaFrame[]> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `Cannot load the demo clip ${url}: HTTP ${response.status}`,
    );
  }
  const { frames } = readFlvFile(new Uint8Array(await response.arrayBuffer()));
  if (!frames.some((f) => f.kind === "video" && f.keyframe && !f.config)) {
    throw new Error(
      `Cannot use the demo clip ${url}: it has no video keyframe`,
    );
  }
  return frames;
}

/**
 * A `MediaSource` that plays `frames` in real time, looping. Config frames are
 * sent once; each loop shifts timestamps by the clip's period (the latest
 * track end), so every track stays monotonic across the seam.
 */
export function loopingClipSource(
  frames: readonly MediaFrame[],
  options: LoopingClipOptions = {},
): MediaSource {
  // Config and script-data (onMetaData) frames go out once, before the first loop.
  const configs = frames.filter((f) => f.config || f.kind === "data");
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  // Period: the end of the longest track (last dts + that track's typical frame duration), in ms.
  const period = Math.max(
    ...(["video", "audio"] as const).map((kind) => {
      const track = media.filter((f) => f.kind === kind);
      if (track.length < 2) return 0;
      const last = track[track.length - 1]!;
      const step = (last.dts - track[0]!.dts) / (track.length - 1);
      return Math.ceil((last.dts + step) * 1000 / last.timescale);
    }),
  );
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? realSleep;
  return {
    name: "demo-clip",
    async *frames(signal: AbortSignal): AsyncIterable<MediaFrame> {
      for (const config of configs) yield config;
      const start = now();
      for (
        let loop = 0;
        loop < (options.loops ?? Infinity) && !signal.aborted;
        loop++
      ) {
        for (const frame of media) {
          const offset = Math.round(loop * period * frame.timescale / 1000);
          const dueMs = (frame.dts + offset) * 1000 / frame.timescale;
          const wait = start + dueMs - now();
          if (wait > 1) await sleep(wait, signal);
          if (signal.aborted) return;
          yield offset === 0
            ? frame
            : { ...frame, pts: frame.pts + offset, dts: frame.dts + offset };
        }
      }
    },
  };
}
