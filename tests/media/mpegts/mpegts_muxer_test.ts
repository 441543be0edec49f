import assert from "node:assert/strict";
import type { CodecId, MediaFrame } from "../../../media/frame.ts";
import { MpegTsMuxer, toMpegTsTime } from "../../../media/mpegts/mod.ts";
import { BitstreamError, StreamError } from "../../../media/stream_error.ts";
import { scanTs } from "./_fixtures.ts";

const SPS = [0x67, 0x42, 0xc0, 0x1e];
const PPS = [0x68, 0xce];
const AVCC = new Uint8Array([
  1,
  0x42,
  0xc0,
  0x1e,
  0xff,
  0xe1,
  0,
  4,
  ...SPS,
  1,
  0,
  2,
  ...PPS,
]);
const OPUS_HEAD = new Uint8Array([
  0x4f,
  0x70,
  0x75,
  0x73,
  0x48,
  0x65,
  0x61,
  0x64,
  1,
  2,
  0x38,
  1,
  0x80,
  0xbb,
  0,
  0,
  0,
  0,
  0,
]);

function frame(codec: CodecId, over: Partial<MediaFrame> = {}): MediaFrame {
  const video = codec === "h264" || codec === "h265" || codec === "vp9";
  return {
    kind: video ? "video" : "audio",
    codec,
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 90000,
    keyframe: true,
    config: false,
    data: new Uint8Array(0),
    ...over,
  }; // deno-fmt-ignore
}

function avcc(...nals: number[][]): Uint8Array {
  const out: number[] = [];
  for (const n of nals) {
    out.push(
      n.length >>> 24,
      (n.length >> 16) & 255,
      (n.length >> 8) & 255,
      n.length & 255,
      ...n,
    );
  }
  return new Uint8Array(out);
}

/** Independent bitwise CRC-32/MPEG-2 (not the table version under test). */
function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    for (let i = 7; i >= 0; i--) {
      const bit = ((c >>> 31) ^ (b >> i)) & 1;
      c = ((c << 1) ^ (bit ? 0x04c11db7 : 0)) >>> 0;
    }
  }
  return c;
}

/** Reassemble each PID's PES packets: header fields and ES bytes. */
function demux(
  ts: Uint8Array,
): Map<number, { length: number; es: Uint8Array }[]> {
  const out = new Map<number, { length: number; es: number[] }[]>();
  for (let p = 0; p < ts.length; p += 188) {
    const pid = ((ts[p + 1]! & 0x1f) << 8) | ts[p + 2]!;
    if (pid === 0 || pid === 0x1000) continue;
    let q = p + 4;
    if ((ts[p + 3]! & 0x20) !== 0) q += 1 + ts[q]!;
    const list = out.get(pid) ?? [];
    out.set(pid, list);
    if ((ts[p + 1]! & 0x40) !== 0) {
      const length = (ts[q + 4]! << 8) | ts[q + 5]!;
      list.push({ length, es: [] });
      q += 9 + ts[q + 8]!;
    }
    list.at(-1)!.es.push(...ts.subarray(q, p + 188));
  }
  return new Map(
    [...out].map((
      [k, v],
    ) => [k, v.map((x) => ({ length: x.length, es: new Uint8Array(x.es) }))]),
  );
}

Deno.test("MpegTsMuxer writes PAT and PMT with valid CRCs and stream types", () => {
  const muxer = new MpegTsMuxer();
  muxer.configure(frame("h264", { config: true, data: AVCC }));
  muxer.configure(
    frame("aac", { config: true, data: new Uint8Array([0x12, 0x10]) }),
  );
  const ts = muxer.mux([]);
  assert.equal(ts.length, 2 * 188);
  // PAT: section starts after the 4-byte header and pointer_field.
  const patLength = ((ts[6]! & 0x0f) << 8) | ts[7]!;
  assert.equal(crc(ts.subarray(5, 8 + patLength)), 0);
  assert.equal(((ts[15]! & 0x1f) << 8) | ts[16]!, 0x1000);
  const pmt = ts.subarray(188);
  assert.equal(((pmt[1]! & 0x1f) << 8) | pmt[2]!, 0x1000);
  const pmtLength = ((pmt[6]! & 0x0f) << 8) | pmt[7]!;
  assert.equal(crc(pmt.subarray(5, 8 + pmtLength)), 0);
  assert.equal(
    ((pmt[13]! & 0x1f) << 8) | pmt[14]!,
    0x100,
    "PCR PID is the video PID",
  );
  assert.deepEqual([pmt[17], ((pmt[18]! & 0x1f) << 8) | pmt[19]!], [
    0x1b,
    0x100,
  ]);
  assert.deepEqual([pmt[22], ((pmt[23]! & 0x1f) << 8) | pmt[24]!], [
    0x0f,
    0x101,
  ]);
  assert.ok(
    ts.subarray(8 + patLength + 0, 188).subarray(4).every((b) => b === 0xff),
  );
});

Deno.test("MpegTsMuxer uses the audio PID for PCR without video and describes Opus", () => {
  const muxer = new MpegTsMuxer();
  muxer.configure(frame("opus", { config: true, data: OPUS_HEAD }));
  const ts = muxer.mux([
    frame("opus", {
      data: new Uint8Array(300).fill(7),
      pts: 960,
      dts: 960,
      timescale: 48000,
    }),
  ]);
  const pmt = ts.subarray(188);
  assert.equal(((pmt[13]! & 0x1f) << 8) | pmt[14]!, 0x101);
  assert.equal(pmt[17], 0x06);
  assert.deepEqual([...pmt.subarray(22, 32)], [
    0x05,
    4,
    0x4f,
    0x70,
    0x75,
    0x73,
    0x7f,
    2,
    0x80,
    2,
  ]);
  const [pes] = demux(ts).get(0x101)!;
  // opus_control_header: 0x7FE0, au_size 300 = 255 + 45
  assert.deepEqual([...pes!.es.subarray(0, 4)], [0x7f, 0xe0, 0xff, 45]);
  assert.equal(pes!.es.length, 304);
  const [first] = scanTs(ts).pes;
  assert.equal(first?.pcr, 1800); // 960 ticks at 48 kHz
  assert.equal(first?.randomAccess, true);
});

Deno.test("MpegTsMuxer puts AUD and SPS/PPS before IDR access units only", () => {
  const muxer = new MpegTsMuxer();
  muxer.configure(frame("h264", { config: true, data: AVCC }));
  const idr = [0x65, 0x88, 0x84];
  const ts = muxer.mux([
    frame("h264", { data: avcc([0x09, 0xf0], idr) }), // existing AUD is replaced
    frame("h264", {
      data: avcc([0x41, 0x9a]),
      keyframe: false,
      pts: 3600,
      dts: 3600,
    }),
    frame("h264", { data: avcc(SPS, PPS, idr), pts: 7200, dts: 7200 }), // in-band sets kept, not doubled
  ]);
  const sc = [0, 0, 0, 1];
  const es = demux(ts).get(0x100)!.map((p) => [...p.es]);
  assert.deepEqual(es[0], [
    ...sc,
    0x09,
    0xf0,
    ...sc,
    ...SPS,
    ...sc,
    ...PPS,
    ...sc,
    ...idr,
  ]);
  assert.deepEqual(es[1], [...sc, 0x09, 0xf0, ...sc, 0x41, 0x9a]);
  assert.deepEqual(es[2], [
    ...sc,
    0x09,
    0xf0,
    ...sc,
    ...SPS,
    ...sc,
    ...PPS,
    ...sc,
    ...idr,
  ]);
  assert.deepEqual(scanTs(ts).pes.map((p) => p.randomAccess), [
    true,
    false,
    true,
  ]);
});

Deno.test("MpegTsMuxer fills packets exactly for every PES size around packet boundaries", () => {
  const muxer = new MpegTsMuxer();
  muxer.configure(
    frame("aac", { config: true, data: new Uint8Array([0x12, 0x10]) }),
  );
  for (let size = 140; size <= 420; size++) {
    const data = new Uint8Array(size).map((_, i) => i & 0xff);
    const ts = muxer.mux([
      frame("aac", { data, pts: size * 10, dts: size * 10 }),
    ]);
    const [pes] = demux(ts).get(0x101)!;
    assert.equal(pes!.es.length, 7 + size, `size ${size}`);
    assert.deepEqual(pes!.es.subarray(7), data, `size ${size}`);
    assert.equal(pes!.length, 8 + 7 + size, "PES_packet_length");
    assert.equal(muxer.byteLengthOf([frame("aac", { data })]), ts.length);
  }
});

Deno.test("MpegTsMuxer writes PTS and DTS with B-frames and wraps at 33 bits", () => {
  const muxer = new MpegTsMuxer();
  muxer.configure(frame("h264", { config: true, data: AVCC }));
  const near = 2 ** 33 - 3600;
  const ts = muxer.mux([
    frame("h264", { data: avcc([0x65, 1]), pts: near + 7200, dts: near }),
    frame("h264", {
      data: avcc([0x41, 1]),
      keyframe: false,
      pts: near + 3600,
      dts: near + 3600,
    }),
  ]);
  const pes = scanTs(ts).pes;
  assert.deepEqual(pes.map((p) => [p.pts, p.dts]), [[3600, near], [0, 0]]);
  assert.equal(toMpegTsTime(-3600, 90000), 2 ** 33 - 3600);
});

Deno.test("MpegTsMuxer continues continuity counters across segments and bumps the PMT version", () => {
  const muxer = new MpegTsMuxer();
  muxer.configure(
    frame("aac", { config: true, data: new Uint8Array([0x12, 0x10]) }),
  );
  const a = muxer.mux([frame("aac", { data: new Uint8Array(500) })]);
  muxer.configure(frame("h264", { config: true, data: AVCC }));
  const b = muxer.mux([
    frame("h264", { data: avcc([0x65, 1]) }),
    frame("aac", { data: new Uint8Array(10) }),
  ]);
  const joined = new Uint8Array([...a, ...b]);
  scanTs(joined); // throws on a CC jump
  const version = (ts: Uint8Array) => (ts[188 + 10]! >> 1) & 0x1f;
  assert.equal(version(a), 0);
  assert.equal(version(b), 1);
  assert.equal(version(muxer.mux([])), 1);
});

Deno.test("MpegTsMuxer writes PES_packet_length 0 for video larger than 64 KiB", () => {
  const muxer = new MpegTsMuxer();
  muxer.configure(frame("h264", { config: true, data: AVCC }));
  const big = new Uint8Array(70_000);
  big[0] = 0x41;
  const ts = muxer.mux([
    frame("h264", { data: avcc([...big]), keyframe: false }),
  ]);
  const [pes] = demux(ts).get(0x100)!;
  assert.equal(pes!.length, 0);
  assert.equal(pes!.es.length, 6 + 4 + 70_000);
});

Deno.test("MpegTsMuxer.writeInto() writes at an offset and checks the space", () => {
  const muxer = new MpegTsMuxer();
  const frames = [
    frame("mp3", { data: new Uint8Array([0xff, 0xfb, 0x90, 0]) }),
  ];
  const size = muxer.byteLengthOf(frames);
  const dst = new Uint8Array(size + 10);
  assert.equal(muxer.writeInto(frames, dst, 10), size + 10);
  assert.equal(dst[10], 0x47);
  assert.throws(
    () => muxer.writeInto(frames, new Uint8Array(size), 1),
    RangeError,
  );
});

Deno.test("MpegTsMuxer skips data frames and refuses what it cannot carry", () => {
  const muxer = new MpegTsMuxer();
  assert.equal(
    muxer.mux([{ ...frame("amf0"), kind: "data", data: new Uint8Array(3) }])
      .length,
    376,
  );
  assert.throws(
    () => muxer.mux([frame("vp9", { data: new Uint8Array(4) })]),
    (e) => e instanceof StreamError && e.code === "Unsupported",
  );
  assert.throws(
    () => new MpegTsMuxer().mux([frame("aac", { data: new Uint8Array(4) })]),
    (e) => e instanceof StreamError && e.code === "InvalidInput",
  );
  const h264 = new MpegTsMuxer();
  assert.throws(
    () =>
      h264.mux([frame("h264", { data: new Uint8Array([0, 0, 0, 9, 0x65]) })]),
    BitstreamError,
  );
  assert.throws(
    () => h264.mux([frame("h265", { data: new Uint8Array(4) })]),
    (e) => e instanceof StreamError && e.code === "Unsupported",
  );
});

Deno.test("MpegTsMuxer maps an explicit AAC sampling rate to its ADTS index", () => {
  const muxer = new MpegTsMuxer();
  // AAC LC, samplingFrequencyIndex 15 + explicit 44100 Hz, stereo
  muxer.configure(
    frame("aac", {
      config: true,
      data: new Uint8Array([0x17, 0x80, 0x56, 0x22, 0x10]),
    }),
  );
  const [pes] = demux(muxer.mux([frame("aac", { data: new Uint8Array(9) })]))
    .get(0x101)!;
  assert.deepEqual([...pes!.es.subarray(0, 7)], [
    0xff,
    0xf1,
    0x50,
    0x80,
    0x02,
    0x1f,
    0xfc,
  ]);
});

Deno.test("MpegTsMuxer gives each extra track its own PID and lists video first in the PMT", () => {
  const muxer = new MpegTsMuxer();
  const asc = new Uint8Array([0x12, 0x10]);
  muxer.configure(frame("aac", { config: true, data: asc, trackId: 1 }));
  muxer.configure(frame("aac", { config: true, data: asc }));
  muxer.configure(frame("h264", { config: true, data: AVCC }));
  const ts = muxer.mux([
    frame("h264", { data: avcc([0x65, 1]) }),
    frame("aac", { data: new Uint8Array(4) }),
    frame("aac", { data: new Uint8Array(4), trackId: 1 }),
  ]);
  const pmt = ts.subarray(188);
  const pids = [17, 22, 27].map((at) =>
    ((pmt[at + 1]! & 0x1f) << 8) | pmt[at + 2]!
  );
  assert.deepEqual(pids, [0x100, 0x101, 0x103]);
  assert.deepEqual([...demux(ts).keys()], [0x100, 0x101, 0x103]);
});
