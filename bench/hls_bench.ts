// HLS packager and storage benchmarks. Questions answered:
// - what does packaging cost per frame (TS vs fMP4, plain vs LL-HLS)?
// - what does rendering a live playlist cost (it is re-rendered per part)?
// - what does an atomic FsStorage put cost next to MemoryStorage?
// Run: deno bench --allow-all bench/hls_bench.ts
import { readFlvFile } from "@arcly/stream/flv";
import {
  type HlsSegment,
  HlsSegmenter,
  renderMediaPlaylist,
} from "@arcly/stream/hls";
import { FsStorage, MemoryStorage } from "@arcly/stream/storage";

const clip = new URL("../examples/assets/sample.flv", import.meta.url);
const frames = readFlvFile(await Deno.readFile(clip)).frames; // 10 s, 773 frames

async function packageClip(
  format: "ts" | "fmp4",
  partTargetMs?: number,
): Promise<void> {
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    format,
    prefix: "live/cam",
    targetDurationMs: 2000,
    ...(partTargetMs ? { partTargetMs } : {}),
  });
  for (const frame of frames) await hls.push(frame);
  await hls.end();
}

Deno.bench({
  name: "package 10 s clip (773 frames): TS",
  group: "package",
  baseline: true,
  n: 20,
  warmup: 2,
  async fn() {
    await packageClip("ts");
  },
});
Deno.bench({
  name: "package 10 s clip (773 frames): fMP4",
  group: "package",
  n: 20,
  warmup: 2,
  async fn() {
    await packageClip("fmp4");
  },
});
Deno.bench({
  name: "package 10 s clip (773 frames): LL-HLS TS, 334 ms parts",
  group: "package",
  n: 20,
  warmup: 2,
  async fn() {
    await packageClip("ts", 334);
  },
});
Deno.bench({
  name: "package 10 s clip (773 frames): LL-HLS fMP4, 334 ms parts",
  group: "package",
  n: 20,
  warmup: 2,
  async fn() {
    await packageClip("fmp4", 334);
  },
});

const segments: HlsSegment[] = Array.from({ length: 6 }, (_, msn) => ({
  msn,
  uri: `seg${msn}.m4s`,
  durationS: 2,
  discontinuity: false,
  programDateTimeMs: Date.UTC(2026, 0, 1) + msn * 2000,
  mapUri: "init.mp4",
  parts: Array.from(
    { length: 6 },
    (_, part) => ({
      uri: `seg${msn}.${part}.m4s`,
      durationS: 0.33333,
      independent: part === 0,
    }),
  ),
}));
Deno.bench({
  name: "render LL-HLS playlist (6 segments x 6 parts)",
  group: "render",
  fn: () => {
    renderMediaPlaylist({
      version: 9,
      targetDurationS: 2,
      mediaSequence: 0,
      discontinuitySequence: 0,
      segments,
      ended: false,
      partTargetS: 0.334,
      preloadHintUri: "seg6.0.m4s",
      canSkipUntilS: 12,
    });
  },
});

const segment = new Uint8Array(188 * 1000); // ~2 s at 750 kbit/s
const memory = new MemoryStorage();
const root = await Deno.makeTempDir({ prefix: "arcly-bench-" });
const fs = new FsStorage({ root });
let n = 0;
Deno.bench({
  name: "MemoryStorage.put 188 KB",
  group: "put",
  baseline: true,
  n: 500,
  async fn() {
    await memory.put(`live/cam/seg${n++ % 8}.ts`, segment);
  },
});
Deno.bench({
  name: "FsStorage.put 188 KB (temp + rename)",
  group: "put",
  n: 500,
  async fn() {
    await fs.put(`live/cam/seg${n++ % 8}.ts`, segment);
  },
});
Deno.bench({
  name: "FsStorage.put 188 KB, sync",
  group: "put",
  n: 100,
  async fn() {
    await fs.put(`live/cam/seg${n++ % 8}.ts`, segment, { sync: true });
  },
});
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(root, { recursive: true }),
);
