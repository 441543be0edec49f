// Fuzz every codec parser with random and mutated inputs (truncation, bit
// flips, byte overwrites with 0x00/0xff to fake huge sizes, insertions and
// deletions). The only failure allowed is a typed StreamError.
// Short mode (default, CI): FUZZ_CASES or 2,000 cases per parser.
// Long mode: FUZZ_LONG=1 runs 100,000 cases per parser.
import assert from "node:assert/strict";
import * as codec from "../../media/codec/mod.ts";
import type { CodecId, MediaFrame } from "../../media/frame.ts";
import { StreamError } from "../../media/stream_error.ts";

const CASES = Deno.env.get("FUZZ_LONG") === "1"
  ? 100_000
  : Number(Deno.env.get("FUZZ_CASES") ?? 2_000);

const DATA = new URL("../testdata/codec/", import.meta.url);
const read = (name: string) => Deno.readFileSync(new URL(name, DATA));

/** mulberry32: a small seeded PRNG so failures reproduce. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(seed: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rnd() * n);
  switch (int(6)) {
    case 0: { // random bytes
      const out = new Uint8Array(int(96));
      for (let i = 0; i < out.length; i++) out[i] = int(256);
      return out;
    }
    case 1: // truncation
      return seed.subarray(0, int(seed.length + 1));
    case 2: { // bit flips
      const out = seed.slice();
      for (let k = 1 + int(8); k > 0 && out.length > 0; k--) {
        out[int(out.length)]! ^= 1 << int(8);
      }
      return out;
    }
    case 3: { // huge sizes: overwrite a run with 0xff or 0x00
      const out = seed.slice();
      const at = int(out.length + 1);
      out.fill(rnd() < 0.5 ? 0xff : 0x00, at, at + 1 + int(4));
      return out;
    }
    case 4: { // insert a random byte
      const at = int(seed.length + 1);
      const out = new Uint8Array(seed.length + 1);
      out.set(seed.subarray(0, at));
      out[at] = int(256);
      out.set(seed.subarray(at), at + 1);
      return out;
    }
    default: { // delete a byte range
      const at = int(seed.length + 1);
      const n = 1 + int(8);
      const out = new Uint8Array(Math.max(0, seed.length - n));
      out.set(seed.subarray(0, Math.min(at, out.length)));
      out.set(
        seed.subarray(at + n).subarray(
          0,
          out.length - Math.min(at, out.length),
        ),
        Math.min(at, out.length),
      );
      return out;
    }
  }
}

function fuzz(
  name: string,
  seeds: Uint8Array[],
  parse: (data: Uint8Array) => unknown,
): void {
  Deno.test(`fuzz: ${name} throws only StreamError (${CASES} cases)`, () => {
    const rnd = mulberry32(0x5eed ^ name.length * 7919);
    let rejected = 0;
    for (let i = 0; i < CASES; i++) {
      const input = mutate(seeds[i % seeds.length]!, rnd);
      try {
        parse(input);
      } catch (error) {
        if (!(error instanceof StreamError)) {
          throw new Error(
            `${name} threw ${String(error)} for case ${i}: [${
              input.join(",")
            }]`,
          );
        }
        rejected++;
      }
    }
    assert.ok(rejected < CASES, `${name}: every case was rejected`);
  });
}

function frame(
  codecId: CodecId,
  data: Uint8Array,
  config: boolean,
): MediaFrame {
  const kind = codecId === "aac" || codecId === "opus" ? "audio" : "video";
  return {
    kind,
    codec: codecId,
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: config,
    config,
    data,
  };
}

function box(data: Uint8Array, type: string): Uint8Array {
  const t = [...type].map((c) => c.charCodeAt(0));
  for (let i = 4; i < data.length; i++) {
    if (t.every((b, k) => data[i + k] === b)) {
      const size =
        (data[i - 4]! << 24 | data[i - 3]! << 16 | data[i - 2]! << 8 |
          data[i - 1]!) >>> 0;
      return data.subarray(i + 4, i - 4 + size);
    }
  }
  throw new Error(`no ${type}`);
}

const h264 = read("h264_high422.h264").subarray(0, 1200);
const h264Units = codec.splitAnnexB(read("h264_high10.h264"));
const h265Units = codec.splitAnnexB(read("h265_main10.h265"));
const unitOf = (units: Uint8Array[], pick: (u: Uint8Array) => boolean) =>
  units.find(pick)!;
const h264Sps = unitOf(h264Units, (u) => (u[0]! & 0x1f) === 7);
const h264Pps = unitOf(h264Units, (u) => (u[0]! & 0x1f) === 8);
const h264Sei = unitOf(h264Units, (u) => (u[0]! & 0x1f) === 6);
const h265Vps = unitOf(h265Units, (u) => codec.h265NalType(u) === 32);
const h265Sps = unitOf(h265Units, (u) => codec.h265NalType(u) === 33);
const h265Pps = unitOf(h265Units, (u) => codec.h265NalType(u) === 34);
const avcC = box(read("h264_high.mp4"), "avcC");
const hvcC = box(read("h265_main.mp4"), "hvcC");
const av1C = box(read("av1.mp4"), "av1C");
const vpcC = box(read("vp9.mp4"), "vpcC");
const av1 = read("av1.obu").subarray(0, 600);
const seqObu = codec.splitAv1Obus(read("av1.obu")).find((o) => o.type === 1)!;
const vp9Frames = [
  read("vp9.ivf").subarray(44, 120),
  read("vp9_10bit.ivf").subarray(44, 120),
];
const adts = read("aac_lc_stereo.aac").subarray(0, 400);
const ogg = read("opus_stereo.ogg");
const opusHead = ogg.subarray(28, 28 + ogg[27]!);
const sample264 = codec.joinLengthPrefixed(h264Units.slice(0, 4));
const sample265 = codec.joinLengthPrefixed(h265Units.slice(0, 5));
const vvcSample = codec.joinLengthPrefixed([
  new Uint8Array([0, 0x39, 0x80, 1]),
]);
const vvcC = new Uint8Array([
  0xff,
  0,
  0x11,
  0x5f,
  1,
  2,
  83,
  0x80,
  0,
  7,
  0x80,
  4,
  0x38,
  0,
  0,
  0,
]);
const vvcSps = new Uint8Array([
  0x00,
  0x79,
  0x00,
  0x1a,
  0x02,
  0x53,
  0x80,
  0x00,
  0x00,
  0x00,
  0x3c,
  0x02,
  0x02,
  0x20,
  0x0b,
  0x26,
]);
const asc = [
  new Uint8Array([0x12, 0x10]),
  new Uint8Array([0x2b, 0x11, 0x88, 0]),
  new Uint8Array([0x13, 0x10, 0x56, 0xe5, 0x9d, 0x48, 0x80]),
];

fuzz("splitAnnexB", [h264], codec.splitAnnexB);
fuzz(
  "splitLengthPrefixed",
  [sample264],
  (d) => codec.splitLengthPrefixed(d, 4),
);
fuzz(
  "lengthPrefixedToAnnexB",
  [sample264],
  (d) => codec.lengthPrefixedToAnnexB(d, 2),
);
fuzz("BitReader", [h264Sps], (d) => {
  const r = new codec.BitReader(codec.removeEmulationPrevention(d, 64));
  for (let i = 0; i < 6; i++) r.readUe() + r.readSe() + r.readBits(i * 6);
});
fuzz("parseH264Sps", [
  h264Sps,
  unitOf(
    codec.splitAnnexB(read("h264_main.h264")),
    (u) => (u[0]! & 0x1f) === 7,
  ),
], codec.parseH264Sps);
fuzz("parseH264PpsIds", [h264Pps], codec.parseH264PpsIds);
fuzz(
  "hasH264RecoveryPoint",
  [h264Sei, new Uint8Array([6, 6, 1, 0xc4, 0x80])],
  codec.hasH264RecoveryPoint,
);
fuzz("parseAvcDecoderConfig", [avcC], codec.parseAvcDecoderConfig);
fuzz("parseH265Vps", [h265Vps], codec.parseH265Vps);
fuzz("parseH265Sps", [h265Sps], codec.parseH265Sps);
fuzz("parseH265Pps", [h265Pps], codec.parseH265Pps);
fuzz("parseHevcDecoderConfig", [hvcC], codec.parseHevcDecoderConfig);
fuzz("parseVvcSps", [vvcSps], codec.parseVvcSps);
fuzz("parseVvcDecoderConfig", [vvcC], codec.parseVvcDecoderConfig);
fuzz("splitAv1Obus", [av1], codec.splitAv1Obus);
fuzz("parseAv1SequenceHeader", [seqObu.payload], codec.parseAv1SequenceHeader);
fuzz("parseAv1DecoderConfig", [av1C], codec.parseAv1DecoderConfig);
fuzz("buildAv1DecoderConfig", [seqObu.data], codec.buildAv1DecoderConfig);
fuzz("parseVp9FrameHeader", vp9Frames, codec.parseVp9FrameHeader);
fuzz("splitVp9Superframe", vp9Frames, codec.splitVp9Superframe);
fuzz("parseVp9DecoderConfig", [vpcC], codec.parseVp9DecoderConfig);
fuzz("parseAudioSpecificConfig", asc, codec.parseAudioSpecificConfig);
fuzz("parseAdtsHeader", [adts], codec.parseAdtsHeader);
fuzz("splitAdts", [adts], codec.splitAdts);
fuzz("parseOpusHead", [opusHead], codec.parseOpusHead);
const configs: [CodecId, Uint8Array][] = [
  ["h264", avcC],
  ["h265", hvcC],
  ["vvc", vvcC],
  ["av1", av1C],
  ["vp9", vpcC],
  ["aac", asc[2]!],
  ["opus", opusHead],
];
for (const [id, seed] of configs) {
  fuzz(
    `parseCodecConfig(${id})`,
    [seed],
    (d) => codec.parseCodecConfig(frame(id, d, true)),
  );
}
const media: [CodecId, Uint8Array][] = [
  ["h264", sample264],
  ["h265", sample265],
  ["vvc", vvcSample],
  ["av1", av1],
  ["vp9", vp9Frames[0]!],
];
for (const [id, seed] of media) {
  fuzz(
    `isRandomAccess(${id})`,
    [seed],
    (d) => codec.isRandomAccess(frame(id, d, false)),
  );
}
