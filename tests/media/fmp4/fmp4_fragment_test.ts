import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { Fmp4Muxer, readBoxes } from "../../../media/fmp4/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { parseFragment } from "./_fragment_reader.ts";
import { ASC_48K_STEREO as ASC_48K, AVCC_320X240 as AVCC } from "./_configs.ts";

const SYNC = 0x0200_0000;
const NON_SYNC = 0x0101_0000;

function video(
  dts: number,
  pts: number,
  keyframe: boolean,
  fill: number,
): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts,
    dts,
    timescale: 1000,
    keyframe,
    config: false,
    data: new Uint8Array(10 + fill).fill(fill),
  };
}

function audio(dts: number, fill: number): MediaFrame {
  return {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: new Uint8Array(3 + fill).fill(fill),
  };
}

function configured(): Fmp4Muxer {
  const muxer = new Fmp4Muxer();
  const base = {
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
  } as const;
  muxer.configure({ ...base, kind: "video", codec: "h264", data: AVCC });
  muxer.configure({ ...base, kind: "audio", codec: "aac", data: ASC_48K });
  return muxer;
}

/** I P B B in decode order: presentation I=80 P=200 B=120 B=160 (ms). */
const GOP: readonly MediaFrame[] = [
  video(40, 80, true, 1),
  audio(40, 2),
  video(80, 200, false, 3),
  audio(61, 4),
  video(120, 120, false, 5),
  audio(83, 6),
  video(160, 160, false, 7),
];

Deno.test("Fmp4Muxer.mux() writes moof (mfhd + one traf per track) then mdat", () => {
  const bytes = configured().mux(GOP, { sequenceNumber: 42, nextDts: 200 });
  const top = readBoxes(bytes);
  assert.deepEqual(top.map((b) => b.type), ["moof", "mdat"]);
  assert.equal(top[1]!.offset + top[1]!.size, bytes.length);
  assert.deepEqual(readBoxes(top[0]!.body).map((b) => b.type), [
    "mfhd",
    "traf",
    "traf",
  ]);
  for (const traf of readBoxes(top[0]!.body).slice(1)) {
    assert.deepEqual(readBoxes(traf.body).map((b) => b.type), [
      "tfhd",
      "tfdt",
      "trun",
    ]);
  }
  const parsed = parseFragment(bytes);
  assert.equal(parsed.sequenceNumber, 42);
  assert.deepEqual(parsed.trafs.map((t) => t.trackId), [1, 2]);
  const mdatBytes = GOP.reduce((n, f) => n + f.data.length, 0);
  assert.equal(top[1]!.size, 8 + mdatBytes);
});

Deno.test("Fmp4Muxer.mux() points every trun sample at its own payload through data_offset", () => {
  const parsed = parseFragment(configured().mux(GOP, { nextDts: 200 }));
  const [v, a] = parsed.trafs;
  assert.deepEqual(
    v!.samples.map((s) => s.data),
    GOP.filter((f) => f.kind === "video").map((f) => f.data),
  );
  assert.deepEqual(
    a!.samples.map((s) => s.data),
    GOP.filter((f) => f.kind === "audio").map((f) => f.data),
  );
});

Deno.test("Fmp4Muxer.mux() converts each dts on its own: tfdt and durations in 90 kHz / sample-rate ticks", () => {
  const [v, a] = parseFragment(
    configured().mux(GOP, { nextDtsByKind: { video: 200, audio: 104 } }),
  ).trafs;
  assert.equal(v!.baseMediaDecodeTime, 40 * 90);
  assert.deepEqual(v!.samples.map((s) => s.duration), [3600, 3600, 3600, 3600]);
  assert.equal(a!.baseMediaDecodeTime, 40 * 48);
  // 40 → 61 → 83 → 104 ms: 1008, 1056, 1008 ticks; no error carried over
  assert.deepEqual(a!.samples.map((s) => s.duration), [1008, 1056, 1008]);
});

Deno.test("Fmp4Muxer.mux() flags keyframes as sync and writes signed composition offsets (trun v1)", () => {
  const [v, a] = parseFragment(configured().mux(GOP, { nextDts: 200 })).trafs;
  assert.equal(v!.trunVersion, 1);
  assert.equal(v!.trunFlags, 0x000f01);
  assert.deepEqual(v!.samples.map((s) => s.flags), [
    SYNC,
    NON_SYNC,
    NON_SYNC,
    NON_SYNC,
  ]);
  assert.deepEqual(v!.samples.map((s) => s.compositionOffset), [
    40 * 90,
    120 * 90,
    0,
    0,
  ]);
  // audio: every sample sync through tfhd default-sample-flags, no per-sample flags
  assert.equal(a!.tfhdFlags, 0x020020);
  assert.equal(a!.defaultSampleFlags, SYNC);
  assert.equal(a!.trunFlags, 0x000301);
  assert.equal(v!.tfhdFlags, 0x020000, "default-base-is-moof");
});

Deno.test("Fmp4Muxer.mux() writes a negative composition offset when pts < dts", () => {
  const frames = [video(100, 60, true, 1), video(140, 140, false, 2)];
  const [v] = parseFragment(configured().mux(frames, { nextDts: 180 })).trafs;
  assert.deepEqual(v!.samples.map((s) => s.compositionOffset), [-40 * 90, 0]);
});

Deno.test("Fmp4Muxer.mux() ends each track at nextDts, or repeats the last duration without it", () => {
  const muxer = configured();
  const withNext = parseFragment(muxer.mux(GOP, { nextDts: 220 })).trafs;
  assert.equal(withNext[0]!.samples.at(-1)!.duration, 60 * 90);
  assert.equal(
    withNext[1]!.samples.at(-1)!.duration,
    (220 - 83) * 48,
    "audio ends at nextDts too",
  );
  const without = parseFragment(muxer.mux(GOP)).trafs;
  assert.equal(without[0]!.samples.at(-1)!.duration, 3600);
  assert.equal(without[1]!.samples.at(-1)!.duration, 1056);
  const byKind = parseFragment(
    muxer.mux(GOP, { nextDts: 220, nextDtsByKind: { audio: 104 } }),
  ).trafs;
  assert.equal(byKind[0]!.samples.at(-1)!.duration, 60 * 90);
  assert.equal(byKind[1]!.samples.at(-1)!.duration, (104 - 83) * 48);
});

Deno.test("Fmp4Muxer.mux() gives a lone first sample a default duration (1024 for AAC, 1/30 s video)", () => {
  const [v, a] =
    parseFragment(configured().mux([video(0, 0, true, 1), audio(0, 1)])).trafs;
  assert.equal(v!.samples[0]!.duration, 3000);
  assert.equal(a!.samples[0]!.duration, 1024);
});

Deno.test("Fmp4Muxer.mux() numbers fragments from 1 when no sequenceNumber is given", () => {
  const muxer = configured();
  const numbers = [GOP, GOP, GOP].map((frames) =>
    parseFragment(muxer.mux(frames)).sequenceNumber
  );
  assert.deepEqual(numbers, [1, 2, 3]);
  assert.equal(
    parseFragment(muxer.mux(GOP, { sequenceNumber: 10 })).sequenceNumber,
    10,
  );
  assert.equal(parseFragment(muxer.mux(GOP)).sequenceNumber, 11);
});

Deno.test("Fmp4Muxer.mux() writes only the tracks present, skips data frames, applies config frames", () => {
  const muxer = new Fmp4Muxer();
  const cfg: MediaFrame = {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: ASC_48K,
  };
  const meta: MediaFrame = {
    ...cfg,
    kind: "data",
    codec: "amf0",
    config: false,
    data: new Uint8Array(5),
  };
  const parsed = parseFragment(
    muxer.mux([cfg, meta, audio(0, 1), audio(21, 2)]),
  );
  assert.deepEqual(parsed.trafs.map((t) => t.trackId), [2]);
  assert.equal(muxer.tracks.length, 1);
  assert.deepEqual(muxer.mux([cfg]), new Uint8Array(0), "nothing to mux");
});

Deno.test("Fmp4Muxer.mux() keeps 90 kHz frames exact and handles a 64-bit tfdt", () => {
  const muxer = configured();
  const dts = 2 ** 33 + 12345; // past 32 bits of 90 kHz ticks (~26.5 h)
  const frames: MediaFrame[] = [
    { ...video(0, 0, true, 1), dts, pts: dts + 3003, timescale: 90000 },
    {
      ...video(0, 0, false, 2),
      dts: dts + 3003,
      pts: dts + 3003,
      timescale: 90000,
    },
  ];
  const [v] = parseFragment(muxer.mux(frames, { nextDts: dts + 6006 })).trafs;
  assert.equal(v!.baseMediaDecodeTime, dts);
  assert.deepEqual(v!.samples.map((s) => [s.duration, s.compositionOffset]), [[
    3003,
    3003,
  ], [3003, 0]]);
});

Deno.test("Fmp4Muxer.mux() rejects unconfigured tracks, dts going back and negative decode times", () => {
  const muxer = configured();
  const isInvalid = (e: unknown) =>
    e instanceof StreamError && e.code === "InvalidInput";
  assert.throws(() => new Fmp4Muxer().mux([audio(0, 1)]), isInvalid);
  assert.throws(() => muxer.mux([{ ...audio(0, 1), trackId: 5 }]), isInvalid);
  assert.throws(() => muxer.mux([audio(50, 1), audio(40, 2)]), isInvalid);
  assert.throws(() => muxer.mux([audio(-10, 1)]), isInvalid);
});

Deno.test("Fmp4Muxer.writeInto() writes the same bytes as mux() at an offset, sized by byteLengthOf()", () => {
  const size = configured().byteLengthOf(GOP);
  const expected = configured().mux(GOP, { sequenceNumber: 3, nextDts: 200 });
  assert.equal(size, expected.length);
  const dst = new Uint8Array(size + 10).fill(0xee);
  const written = configured().writeInto(GOP, dst, 7, {
    sequenceNumber: 3,
    nextDts: 200,
  });
  assert.equal(written, size);
  assert.deepEqual(dst.subarray(7, 7 + size), expected);
  assert.deepEqual(
    [...dst.subarray(0, 7), ...dst.subarray(7 + size)],
    new Array(10).fill(0xee),
  );
  assert.throws(
    () => configured().writeInto(GOP, new Uint8Array(size - 1), 0),
    (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
  );
  assert.equal(configured().byteLengthOf([]), 0);
});

Deno.test("Fmp4Muxer.mux() writes one traf per track for several audio tracks (Enhanced RTMP multitrack)", () => {
  const muxer = configured();
  muxer.configure({
    ...audio(0, 0),
    config: true,
    trackId: 1,
    data: new Uint8Array([0x12, 0x10]),
  });
  const second = (dts: number, fill: number): MediaFrame => ({
    ...audio(dts, fill),
    trackId: 1,
  });
  const frames = [
    video(0, 0, true, 1),
    audio(0, 2),
    second(0, 3),
    audio(21, 4),
    second(23, 5),
  ];
  const parsed = parseFragment(muxer.mux(frames, { nextDts: 46 }));
  assert.deepEqual(parsed.trafs.map((t) => [t.trackId, t.samples.length]), [
    [1, 1],
    [2, 2],
    [3, 2],
  ]);
  const third = parsed.trafs[2]!;
  assert.equal(third.baseMediaDecodeTime, 0);
  assert.deepEqual(third.samples.map((s) => s.duration), [
    Math.round(23 * 44.1),
    Math.round(46 * 44.1) - Math.round(23 * 44.1),
  ]);
  assert.deepEqual(third.samples.map((s) => s.data), [
    frames[2]!.data,
    frames[4]!.data,
  ]);
});
