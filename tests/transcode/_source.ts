// Test sources for the transcode tests: a lavfi testsrc2 + sine clip encoded
// by ffmpeg into FLV (H.264 + AAC), read with our FlvReader, and published
// into an engine paced by dts (so lazily started transcoders see a live stream).
import { readFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import type { Engine, StreamHandle } from "../../src/mod.ts";
import { run } from "../_tools.ts";

/** Frames of a `width`x`height` H.264 (GOP 1 s at 25 fps) + AAC clip. */
export async function sourceFrames(
  dir: string,
  options: { width?: number; height?: number; seconds?: number } = {},
): Promise<MediaFrame[]> {
  const w = options.width ?? 1280, h = options.height ?? 720;
  const path = `${dir}/src_${w}x${h}.flv`;
  const r = await run("ffmpeg", [
    "-hide_banner",
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${w}x${h}:rate=25`,
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000",
    "-t",
    String(options.seconds ?? 6),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "25",
    "-bf",
    "0",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "96k",
    "-f",
    "flv",
    path,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  return readFlvFile(await Deno.readFile(path)).frames;
}

/** Publish `frames` as `key`, paced by dts at `speed`x real time; ends the stream. */
export async function publishPaced(
  engine: Engine,
  key: string,
  frames: readonly MediaFrame[],
  options: {
    speed?: number;
    signal?: AbortSignal;
    onFrame?: (f: MediaFrame, h: StreamHandle) => void;
  } = {},
): Promise<void> {
  const handle = engine.startPublish(key);
  const speed = options.speed ?? 1;
  const t0 = performance.now();
  const ms = (f: MediaFrame) => f.dts * 1000 / f.timescale;
  const firstFrame = frames.find((f) => !f.config);
  const first = firstFrame ? ms(firstFrame) : 0;
  for (const frame of frames) {
    if (options.signal?.aborted) break;
    const due = (ms(frame) - first) / speed - (performance.now() - t0);
    if (!frame.config && due > 2) await new Promise((r) => setTimeout(r, due));
    handle.publishFrame(frame);
    options.onFrame?.(frame, handle);
  }
  engine.endPublish(key, "source done");
}

/** Collect a stream's frames until it ends (or `timeoutMs`). */
export async function collect(
  handle: StreamHandle,
  timeoutMs = 20_000,
): Promise<MediaFrame[]> {
  const sub = handle.subscribe({ replay: true });
  const out: MediaFrame[] = [];
  const timer = setTimeout(() => sub.close("timeout"), timeoutMs);
  try {
    while (true) {
      const frame = await sub.next();
      if (frame === null) break;
      out.push(frame);
    }
  } catch { /* lagged/closed: return what we have */ }
  clearTimeout(timer);
  sub.close();
  return out;
}

/** Wait until `fn()` returns a value (polls every 20 ms). */
export async function until<T>(
  fn: () =>
    | T
    | undefined
    | null
    | false
    | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("until: timed out");
}
