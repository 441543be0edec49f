// Shared fixtures for the HTTP egress tests: frames from the bundled sample
// clip (10 s H.264 640x360 30 fps + AAC, keyframe every second) and a paced
// publisher.
import type { MediaFrame } from "../../../media/frame.ts";
import { readFlvFile } from "../../../media/flv/mod.ts";
import type { StreamHandle } from "../../../src/mod.ts";

export const SAMPLE_FLV = new URL(
  "../../../examples/assets/sample.flv",
  import.meta.url,
);

let cached: MediaFrame[] | undefined;

/** Every frame of the sample clip (configs first, timescale 1000). */
export function sampleFrames(): MediaFrame[] {
  cached ??= readFlvFile(Deno.readFileSync(SAMPLE_FLV)).frames;
  return cached;
}

/** The frames shifted by `offsetMs` (to loop the clip with rising timestamps). */
export function shifted(
  frames: readonly MediaFrame[],
  offsetMs: number,
): MediaFrame[] {
  return frames.map((f) => ({
    ...f,
    pts: f.pts + offsetMs,
    dts: f.dts + offsetMs,
  }));
}

/**
 * Publish the sample in real time (times `speed`), looping, until `signal`
 * aborts or `maxMs` of media was sent. Config frames are sent once.
 */
export async function publishPaced(
  handle: StreamHandle,
  options: { speed?: number; maxMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const frames = sampleFrames();
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  const configs = frames.filter((f) => f.config);
  for (const f of configs) handle.publishFrame(f);
  const speed = options.speed ?? 1;
  const maxMs = options.maxMs ?? 60_000;
  const clipMs = (media.at(-1)?.dts ?? 0) + 33;
  const start = performance.now();
  for (let loop = 0;; loop++) {
    for (const frame of media) {
      const t = frame.dts + loop * clipMs;
      if (t > maxMs || options.signal?.aborted || handle.ended) return;
      const due = start + t / speed;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (options.signal?.aborted || handle.ended) return;
      handle.publishFrame(
        loop === 0
          ? frame
          : { ...frame, pts: frame.pts + loop * clipMs, dts: t },
      );
    }
  }
}

/** Read a response body until `bytes` were received or it ended. */
export async function readAtLeast(
  body: ReadableStream<Uint8Array>,
  bytes: number,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < bytes) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  await reader.cancel();
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
