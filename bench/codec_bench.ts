// Codec parser throughput. The H.264 NAL scanner runs over an ~8 MB Annex B
// stream made by concatenating the committed libx264 fixtures (real
// compressed bytes, so start-code density is realistic).
// Run: deno bench --allow-read bench/codec_bench.ts
import {
  annexBToLengthPrefixed,
  groupAccessUnits,
  isH264RandomAccess,
  joinLengthPrefixed,
  parseAvcDecoderConfig,
  parseH264Sps,
  splitAnnexB,
  splitLengthPrefixed,
} from "../media/codec/mod.ts";

const DATA = new URL("../tests/testdata/codec/", import.meta.url);
const TARGET_BYTES = 8 * 1024 * 1024;

function stream(): Uint8Array {
  const parts = [
    "h264_baseline.h264",
    "h264_main.h264",
    "h264_high.h264",
    "h264_high422.h264",
    "h264_high10.h264",
  ].map((name) => Deno.readFileSync(new URL(name, DATA)));
  const unit = parts.reduce((n, p) => n + p.length, 0);
  const copies = Math.ceil(TARGET_BYTES / unit);
  const out = new Uint8Array(copies * unit);
  let pos = 0;
  for (let i = 0; i < copies; i++) {
    for (const part of parts) {
      out.set(part, pos);
      pos += part.length;
    }
  }
  return out;
}

const annexB = stream();
const avcc = annexBToLengthPrefixed(annexB);
const units = splitAnnexB(annexB);
const samples = groupAccessUnits(units, "h264").map((au) =>
  joinLengthPrefixed(au)
);
const sps = units.find((u) => (u[0]! & 0x1f) === 7)!;
const avcC = new Uint8Array([
  1,
  sps[1]!,
  sps[2]!,
  sps[3]!,
  0xff,
  0xe1,
  0,
  sps.length,
  ...sps,
  0,
]);
/** Bytes processed per iteration, printed so MB/s can be derived. */
export const STREAM_BYTES: number = annexB.length;

Deno.bench({
  name: `splitAnnexB ${
    (annexB.length / 1e6).toFixed(1)
  } MB (${units.length} NAL units)`,
  group: "h264 scan",
  baseline: true,
  fn() {
    splitAnnexB(annexB);
  },
});

Deno.bench({
  name: `splitLengthPrefixed ${(avcc.length / 1e6).toFixed(1)} MB`,
  group: "h264 scan",
  fn() {
    splitLengthPrefixed(avcc);
  },
});

Deno.bench({
  name: `annexBToLengthPrefixed ${(annexB.length / 1e6).toFixed(1)} MB`,
  group: "h264 scan",
  fn() {
    annexBToLengthPrefixed(annexB);
  },
});

Deno.bench({
  name: `isH264RandomAccess over ${samples.length} access units`,
  group: "h264 classify",
  fn() {
    let keys = 0;
    for (const sample of samples) if (isH264RandomAccess(sample)) keys++;
    if (keys === 0) throw new Error("no key frames");
  },
});

Deno.bench({
  name: "parseH264Sps",
  group: "parameter sets",
  fn() {
    parseH264Sps(sps);
  },
});

Deno.bench({
  name: "parseAvcDecoderConfig",
  group: "parameter sets",
  fn() {
    parseAvcDecoderConfig(avcC);
  },
});
