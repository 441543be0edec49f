// MpegTsDemuxer edge cases on hand-built streams: 33-bit wrap, program
// choice, PES bound, ADTS frames split across PES, PES without PTS, PMT over
// several packets, unsupported streams, garbage before sync, duplicates,
// parameter-set changes.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { buildAvcDecoderConfig } from "../../../media/codec/mod.ts";
import { MpegTsDemuxer, MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { crc32Mpeg2 } from "../../../media/mpegts/_crc32.ts";
import {
  countPesPackets,
  writePesPackets,
} from "../../../media/mpegts/_pes_packetizer.ts";
import { writePat, writePmt } from "../../../media/mpegts/_psi.ts";
import { concat, demuxAll } from "./_demux_helpers.ts";

const SPS = new Uint8Array([0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99]);
const PPS = new Uint8Array([0x68, 0xce, 0x3c, 0x80]);
const SPS2 = Uint8Array.from(
  "6764000dacd94141fb0110000003001000000303c0f1429960".match(/../g)!,
  (b) => parseInt(b, 16),
);
const PPS2 = new Uint8Array([0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0]);
const ASC = new Uint8Array([0x11, 0x90]); // AAC LC 48 kHz stereo

const video = (pts: number, keyframe: boolean, size = 20): MediaFrame => {
  const data = new Uint8Array(4 + size);
  new DataView(data.buffer).setUint32(0, size);
  data[4] = keyframe ? 0x65 : 0x41;
  for (let i = 5; i < data.length; i++) data[i] = (i * 7 + pts) & 0xff || 1;
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts,
    dts: pts,
    timescale: 90000,
    keyframe,
    config: false,
    data,
  };
}; // deno-fmt-ignore
const avcC = (sps = SPS, pps = PPS): MediaFrame => ({
  kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0, timescale: 90000,
  keyframe: true, config: true, data: buildAvcDecoderConfig({ sps: [sps], pps: [pps] }),
}); // deno-fmt-ignore
const aac = (pts: number, config = false): MediaFrame => ({
  kind: "audio", codec: "aac", trackId: 0, pts, dts: pts, timescale: 90000,
  keyframe: true, config, data: config ? ASC : new Uint8Array([pts & 0xff, 2, 3, 4]),
}); // deno-fmt-ignore

/** PAT + PMT (one program) + the given PES, as our muxer's helpers write them. */
function handMade(
  streams: { pid: number; streamType: number; descriptors?: Uint8Array }[],
  pes: { pid: number; streamId: number; pts: number; es: Uint8Array[] }[],
): Uint8Array {
  const cc = new Map<number, number>();
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(376);
  writePat(head, 0, 0, { transportStreamId: 1, programNumber: 1, pmtPid: 0x1000 });
  writePmt(head, 188, 0, {
    pmtPid: 0x1000, programNumber: 1, version: 0, pcrPid: streams[0]!.pid,
    streams: streams.map((s) => ({ ...s, descriptors: s.descriptors ?? new Uint8Array(0) })),
  }); // deno-fmt-ignore
  parts.push(head);
  for (const p of pes) {
    const plan = {
      pid: p.pid, streamId: p.streamId, pts: p.pts, dts: p.pts, pcr: -1, randomAccess: false,
      pieces: p.es, esLength: p.es.reduce((n, e) => n + e.length, 0),
    }; // deno-fmt-ignore
    const count = countPesPackets(plan);
    const out = new Uint8Array(count * 188);
    const first = cc.get(p.pid) ?? 0;
    writePesPackets(plan, out, 0, first);
    cc.set(p.pid, (first + count) & 15);
    parts.push(out);
  }
  return concat(parts);
}

function adts(payload: number): Uint8Array {
  const length = payload + 7;
  const out = new Uint8Array(length);
  out.set([
    0xff,
    0xf1,
    0x4c,
    0x80 | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc,
  ]);
  out.fill(0x21, 7);
  return out;
} // deno-fmt-ignore

Deno.test("demuxer: 33-bit PTS/DTS wrap is unwrapped into a monotonic continuation", () => {
  const start = 2 ** 33 - 4 * 3600;
  const frames: MediaFrame[] = [avcC(), aac(0, true)];
  for (let i = 0; i < 10; i++) {
    frames.push(video(start + i * 3600, i === 0), aac(start + i * 3600 + 100));
  }
  const { frames: out } = demuxAll(new MpegTsMuxer().mux(frames), 500);
  const v = out.filter((f) => f.kind === "video" && !f.config).map((f) => f.pts);
  const a = out.filter((f) => f.kind === "audio" && !f.config).map((f) => f.pts);
  assert.deepEqual(v, frames.filter((f) => f.kind === "video" && !f.config).map((f) => f.pts));
  assert.deepEqual(a, frames.filter((f) => f.kind === "audio" && !f.config).map((f) => f.pts));
  assert.ok(v.at(-1)! > 2 ** 33);
});

Deno.test("demuxer: chooses the program by number; default is the first in the PAT", () => {
  const one = new MpegTsMuxer({
    programNumber: 1,
    pmtPid: 0x1000,
    audioPid: 0x101,
  });
  const two = new MpegTsMuxer({
    programNumber: 2,
    pmtPid: 0x1001,
    audioPid: 0x201,
  });
  const a = one.mux([aac(0, true), aac(1920)]);
  const b = two.mux([aac(0, true), aac(5000)]);
  // one PAT listing both programs, then each muxer's PMT + PES (their PATs dropped)
  const pat = new Uint8Array(188).fill(0xff);
  pat.set([
    0x47,
    0x40,
    0x00,
    0x10,
    0x00,
    0x00,
    0xb0,
    17,
    0,
    1,
    0xc1,
    0,
    0,
    0,
    1,
    0xf0,
    0x00,
    0,
    2,
    0xf0,
    0x01,
  ]);
  const crc = crc32Mpeg2(pat, 5, 21);
  pat.set(
    [crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff],
    21,
  );
  const ts = concat([pat, a.subarray(188), b.subarray(188)]);
  const first = demuxAll(ts).frames.filter((f) => !f.config);
  assert.deepEqual(first.map((f) => f.pts), [1920]);
  const second = demuxAll(ts, 1009, { programNumber: 2 });
  assert.deepEqual(second.frames.filter((f) => !f.config).map((f) => f.pts), [
    5000,
  ]);
  assert.equal(second.demuxer.streams[0]!.pid, 0x201);
}); // deno-fmt-ignore

Deno.test("demuxer: a PES over maxPesBytes is dropped with a LimitExceeded event; video resumes at the next keyframe", () => {
  const ts = new MpegTsMuxer().mux([
    avcC(), video(0, true), video(3600, false, 9000), video(7200, false), video(10800, true), video(14400, false),
  ]); // deno-fmt-ignore
  const { frames, events, demuxer } = demuxAll(ts, 1316, { maxPesBytes: 4000 });
  const drop = events.find((e) => e.type === "pesDropped");
  assert.ok(drop?.type === "pesDropped" && drop.reason === "tooLarge");
  assert.ok(drop.error instanceof StreamError && drop.error.code === "LimitExceeded");
  assert.deepEqual(frames.filter((f) => !f.config).map((f) => f.pts), [0, 10800, 14400]);
  assert.equal(demuxer.stats.droppedAccessUnits, 1);
  assert.equal(demuxer.stats.skippedAccessUnits, 1);
});

Deno.test("demuxer: ADTS frames split across PES, several per PES, timestamps from the PES PTS", () => {
  const [f1, f2, f3] = [adts(100), adts(200), adts(50)];
  // PES 1: f1 + first 60 bytes of f2; PES 2: rest of f2 + f3 (PTS = f3's).
  const ts = handMade([{ pid: 0x101, streamType: 0x0f }], [
    { pid: 0x101, streamId: 0xc0, pts: 9000, es: [f1, f2.subarray(0, 60)] },
    {
      pid: 0x101,
      streamId: 0xc0,
      pts: 9000 + 2 * 1920,
      es: [f2.subarray(60), f3],
    },
  ]);
  const { frames } = demuxAll(ts, 100);
  assert.deepEqual(frames.map((f) => [f.config, f.pts, f.data.length]), [
    [true, 9000, 2],
    [false, 9000, 100],
    [false, 10920, 200],
    [false, 12840, 50],
  ]); // deno-fmt-ignore
});

Deno.test("demuxer: a PES without PTS continues the audio timeline", () => {
  const pes = handMade([{ pid: 0x101, streamType: 0x0f }], [
    { pid: 0x101, streamId: 0xc0, pts: 900, es: [adts(10)] },
  ]);
  // Second PES by hand: '10' flags, no PTS, header length 0.
  const pkt = new Uint8Array(188).fill(0xff);
  const es = adts(10);
  const body = [0, 0, 1, 0xc0, 0, 3 + es.length, 0x80, 0x00, 0x00, ...es];
  const af = 184 - body.length;
  pkt.set([0x47, 0x41, 0x01, 0x30 | 1, af - 1, 0x00]);
  pkt.set(body, 4 + af);
  const { frames } = demuxAll(concat([pes, pkt]));
  assert.deepEqual(frames.filter((f) => !f.config).map((f) => f.pts), [
    900,
    2820,
  ]);
});

Deno.test("demuxer: PMT spanning two packets, an unsupported stream reported, the others demuxed", () => {
  const big = new Uint8Array(2 + 200).fill(0x41);
  big[0] = 0xf0; // user-private descriptor tag
  big[1] = 200;
  const streams = [{ pid: 0x100, streamType: 0x81, descriptors: big }, {
    pid: 0x101,
    streamType: 0x0f,
  }];
  // section: 12 header + (5 + 202) + 5 + CRC 4 > 183 bytes: two packets
  const loop = concat(streams.map((s) =>
    concat([
      new Uint8Array([
        s.streamType,
        0xe0 | (s.pid >> 8),
        s.pid & 0xff,
        0xf0,
        s.descriptors?.length ?? 0,
      ]),
      s.descriptors ?? new Uint8Array(0),
    ])
  ));
  const length = 9 + loop.length + 4;
  const section = new Uint8Array(3 + length);
  section.set([
    0x02,
    0xb0 | (length >> 8),
    length & 0xff,
    0,
    1,
    0xc1,
    0,
    0,
    0xe1,
    0x01,
    0xf0,
    0,
  ]);
  section.set(loop, 12);
  const crc = crc32Mpeg2(section, 0, section.length - 4);
  section.set(
    [crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff],
    section.length - 4,
  );
  const p1 = new Uint8Array(188).fill(0xff),
    p2 = new Uint8Array(188).fill(0xff);
  p1.set([0x47, 0x50, 0x00, 0x10, 0x00]);
  p1.set(section.subarray(0, 183), 5);
  p2.set([0x47, 0x10, 0x00, 0x11]);
  p2.set(section.subarray(183), 4);
  const rest = handMade([{ pid: 0x101, streamType: 0x0f }], [
    { pid: 0x101, streamId: 0xc0, pts: 900, es: [adts(10)] },
  ]);
  const ts = concat([rest.subarray(0, 188), p1, p2, rest.subarray(376)]);
  const { frames, events, demuxer } = demuxAll(ts, 50);
  assert.deepEqual(events.filter((e) => e.type === "unsupportedStream"), [
    { type: "unsupportedStream", pid: 0x100, streamType: 0x81 },
  ]);
  assert.deepEqual(demuxer.streams.map((s) => s.codec), ["aac"]);
  assert.equal(frames.filter((f) => !f.config).length, 1);
}); // deno-fmt-ignore

Deno.test("demuxer: garbage before the first sync byte and a duplicated packet", () => {
  const ts = new MpegTsMuxer().mux([aac(0, true), aac(1920), aac(3840)]);
  const garbage = new Uint8Array(1000).map((_, i) => (i * 13 + 5) & 0xff);
  const dup = concat([ts.subarray(0, 3 * 188), ts.subarray(2 * 188)]); // packet 2 twice
  const { frames, demuxer } = demuxAll(concat([garbage, dup]), 333);
  assert.deepEqual(frames.filter((f) => !f.config).map((f) => f.pts), [1920, 3840]);
  assert.ok(demuxer.stats.resyncs >= 1);
  assert.equal(demuxer.stats.continuityErrors, 0);
});

Deno.test("demuxer: new parameter sets → a new config frame right before the frame that uses them", () => {
  const first = avcC(), second = avcC(SPS2, PPS2);
  const muxer = new MpegTsMuxer();
  const ts = muxer.mux([first, video(0, true), video(3600, false)]);
  const ts2 = muxer.mux([second, video(7200, true), video(10800, false)]);
  const { frames } = demuxAll(concat([ts, ts2]), 1000);
  assert.deepEqual(frames.map((f) => [f.config, f.pts]), [
    [true, 0],
    [false, 0],
    [false, 3600],
    [true, 7200],
    [false, 7200],
    [false, 10800],
  ]); // deno-fmt-ignore
  assert.deepEqual([...frames[3]!.data], [...second.data]);
});

Deno.test("demuxer: rejects a bad maxPesBytes; never throws on any byte pattern", () => {
  assert.throws(() => new MpegTsDemuxer({ maxPesBytes: 0 }), RangeError);
  const d = new MpegTsDemuxer();
  for (const fill of [0x00, 0x47, 0xff]) {
    assert.deepEqual(d.push(new Uint8Array(5000).fill(fill)), []);
  }
  assert.deepEqual(d.flush(), []);
});

/** One TS packet carrying a whole (short) PES, stuffed by adaptation field. */
function onePacket(pid: number, cc: number, pes: number[]): Uint8Array {
  const pkt = new Uint8Array(188).fill(0xff);
  const af = 184 - pes.length;
  pkt.set([0x47, 0x40 | (pid >> 8), pid & 0xff, 0x30 | cc, af - 1, 0x00]);
  pkt.set(pes, 4 + af);
  return pkt;
}

function ptsBytes(prefix: number, v: number): number[] {
  return [
    (prefix << 4) | (((v / 2 ** 30) & 7) << 1) | 1,
    (v >> 22) & 0xff,
    ((v >> 14) & 0xfe) | 1,
    (v >> 7) & 0xff,
    ((v << 1) & 0xfe) | 1,
  ];
} // deno-fmt-ignore

Deno.test("demuxer: an access unit split over two video PES (the second without PTS) is one frame", () => {
  const idr = [0x65, ...new Array(60).fill(0).map((_, i) => ((i * 11 + 3) & 0xff) | 1)];
  const sc = [0, 0, 0, 1];
  const es1 = [...sc, 0x09, 0xf0, ...sc, ...SPS, ...sc, ...PPS, ...sc, ...idr.slice(0, 25)];
  const es2 = idr.slice(25);
  const p = [...sc, 0x09, 0xf0, ...sc, 0x41, 0x9a, 0x22, 0x33];
  const pes1 = [0, 0, 1, 0xe0, 0, 8 + es1.length, 0x80, 0x80, 5, ...ptsBytes(2, 9000), ...es1];
  const pes2 = [0, 0, 1, 0xe0, 0, 3 + es2.length, 0x80, 0x00, 0, ...es2];
  const pes3 = [0, 0, 1, 0xe0, 0, 8 + p.length, 0x80, 0x80, 5, ...ptsBytes(2, 12600), ...p];
  const head = handMade([{ pid: 0x100, streamType: 0x1b }], []);
  const ts = concat([head, onePacket(0x100, 0, pes1), onePacket(0x100, 1, pes2), onePacket(0x100, 2, pes3)]);
  for (const chunk of [188, 1000]) {
    const { frames, events } = demuxAll(ts, chunk);
    assert.deepEqual(events.filter((e) => e.type !== "programChanged"), []);
    assert.deepEqual(frames.map((f) => [f.config, f.pts, f.keyframe]), [
      [true, 9000, true], [false, 9000, true], [false, 12600, false],
    ]);
    assert.deepEqual([...frames[1]!.data], [0, 0, 0, idr.length, ...idr]);
    assert.deepEqual([...frames[2]!.data], [0, 0, 0, 4, 0x41, 0x9a, 0x22, 0x33]);
  }
});
