// deno-lint-ignore-file no-console -- command-line probe: stdout is its interface
/**
 * Bytes allocated per second of stream by the serialize-once caches (issue
 * 19), deterministic where RSS is noisy: 10 s of a synthetic 30 fps H.264 +
 * AAC stream (~3 Mbit/s: a 100 KB keyframe every 2 s, 12 KB frames, 400 B
 * audio at 47/s) through `FlvTagCache` and `FrameChunkCache` (60,000-byte
 * chunks, the server's default, and 4,096), one batch per 100 ms tick. With a fixed
 * 256 MB semi-space nothing is collected, so the growth of `external`
 * (ArrayBuffer backing stores) is every buffer the caches allocated: the
 * slabs that keep the units plus any per-frame buffer that became garbage.
 *
 * ```sh
 * deno run -A --v8-flags=--min-semi-space-size=256,--max-semi-space-size=256 bench/fanout/serialize_garbage.ts
 * ```
 *
 * @module
 */
import type { MediaFrame } from "../../mod.ts";
import { FlvTagCache } from "../../protocols/http/mod.ts";
import { FrameChunkCache } from "../../protocols/rtmp/mod.ts";
import { audioFrame } from "../../tests/_fakes.ts";

const SECONDS = 10;

function stream(): MediaFrame[][] {
  const ticks: MediaFrame[][] = [];
  let tick: MediaFrame[] = [];
  let nextTick = 100;
  const frames: MediaFrame[] = [];
  for (let i = 0; i < SECONDS * 30; i++) {
    const dts = Math.round(i * 1000 / 30);
    const key = i % 60 === 0;
    frames.push({
      kind: "video",
      codec: "h264",
      trackId: 0,
      pts: dts + 66,
      dts,
      timescale: 1000,
      keyframe: key,
      config: false,
      data: new Uint8Array(key ? 100_000 : 12_000).fill(i & 0xff),
    });
  }
  for (let i = 0; i < SECONDS * 47; i++) {
    const frame = audioFrame(Math.round(i * 1024 / 48), 400);
    frame.data.fill(i & 0xff);
    frames.push(frame);
  }
  frames.sort((a, b) => a.dts - b.dts);
  for (const f of frames) {
    if (f.dts >= nextTick) {
      ticks.push(tick);
      tick = [];
      nextTick += 100;
    }
    tick.push(f);
  }
  ticks.push(tick);
  return ticks;
}

const ticks = stream();
const payload = ticks.flat().reduce((n, f) => n + f.data.length, 0);
for (
  const [name, make] of [
    ["flv", () => new FlvTagCache()],
    ["rtmp (chunk 60000)", () => new FrameChunkCache(60000)],
    ["rtmp (chunk 4096)", () => new FrameChunkCache(4096)],
  ] as const
) {
  const cache = make();
  const before = Deno.memoryUsage().external;
  let out = 0;
  for (const t of ticks) out += cache.batch(t).length;
  const grown = Deno.memoryUsage().external - before;
  console.log(
    `${name}: payload ${(payload / SECONDS / 1024).toFixed(0)} KiB/s, ` +
      `wire ${(out / SECONDS / 1024).toFixed(0)} KiB/s, ` +
      `allocated ${(grown / SECONDS / 1024).toFixed(0)} KiB/s ` +
      `(${(grown / out).toFixed(2)}× the wire bytes)`,
  );
}
