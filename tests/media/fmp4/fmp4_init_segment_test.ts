import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { Fmp4Muxer, type Mp4Box, readBoxes } from "../../../media/fmp4/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import {
  ASC_48K_STEREO,
  AV1C_320X240,
  AVCC_320X240 as AVCC,
  HVCC_320X240,
  VPCC,
} from "./_configs.ts";

function config(
  kind: "video" | "audio",
  codec: MediaFrame["codec"],
  data: Uint8Array,
  trackId = 0,
): MediaFrame {
  return {
    kind,
    codec,
    trackId,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data,
  };
}

function find(body: Uint8Array, path: string): Mp4Box {
  let box: Mp4Box | undefined;
  for (const type of path.split("/")) {
    box = readBoxes(box?.body ?? body).find((b) => b.type === type);
    assert.ok(box, `no ${path}`);
  }
  return box!;
}

function all(body: Uint8Array, type: string): Mp4Box[] {
  return readBoxes(body).filter((b) => b.type === type);
}

function u32(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(at);
}

function u16(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset).getUint16(at);
}

const text = (b: Uint8Array) => String.fromCharCode(...b);

/** The stsd sample entry of trak number `index` and its child boxes. */
function sampleEntry(
  init: Uint8Array,
  index: number,
): { entry: Mp4Box; children: Mp4Box[] } {
  const trak = all(find(init, "moov").body, "trak")[index]!;
  const stsd = find(trak.body, "mdia/minf/stbl/stsd");
  assert.equal(u32(stsd.body, 4), 1);
  const entry = readBoxes(stsd.body.subarray(8))[0]!;
  const headerBytes = entry.type === "mp4a" || entry.type === "Opus" ? 28 : 78;
  return { entry, children: readBoxes(entry.body.subarray(headerBytes)) };
}

Deno.test("Fmp4Muxer.initSegment() is null before any track is configured", () => {
  assert.equal(new Fmp4Muxer().initSegment(), null);
});

Deno.test("Fmp4Muxer.initSegment() writes ftyp iso6/cmfc and a moov with one trak and trex per track", () => {
  const muxer = new Fmp4Muxer();
  muxer.configure(config("audio", "aac", ASC_48K_STEREO));
  muxer.configure(config("video", "h264", AVCC));
  const init = muxer.initSegment()!;
  const top = readBoxes(init);
  assert.deepEqual(top.map((b) => b.type), ["ftyp", "moov"]);
  assert.equal(top[1]!.offset + top[1]!.size, init.length);
  const ftyp = top[0]!.body;
  assert.equal(text(ftyp.subarray(0, 4)), "iso6");
  assert.deepEqual([text(ftyp.subarray(8, 12)), text(ftyp.subarray(12, 16))], [
    "iso6",
    "cmfc",
  ]);
  const moov = top[1]!.body;
  assert.deepEqual(readBoxes(moov).map((b) => b.type), [
    "mvhd",
    "trak",
    "trak",
    "mvex",
  ]);
  assert.equal(u32(find(moov, "mvhd").body, 96), 3, "next_track_ID");
  const traks = all(moov, "trak");
  // video is track 1 and comes first even though audio was configured first
  assert.deepEqual(traks.map((t) => u32(find(t.body, "tkhd").body, 12)), [
    1,
    2,
  ]);
  assert.deepEqual(traks.map((t) => u32(find(t.body, "mdia/mdhd").body, 12)), [
    90000,
    48000,
  ]);
  assert.deepEqual(
    traks.map((t) => text(find(t.body, "mdia/hdlr").body.subarray(8, 12))),
    ["vide", "soun"],
  );
  assert.ok(find(traks[0]!.body, "mdia/minf/vmhd"));
  assert.ok(find(traks[1]!.body, "mdia/minf/smhd"));
  for (const table of ["stts", "stsc", "stsz", "stco"]) {
    assert.ok(find(traks[0]!.body, `mdia/minf/stbl/${table}`));
  }
  const trex = all(find(moov, "mvex").body, "trex");
  assert.deepEqual(trex.map((t) => [u32(t.body, 4), u32(t.body, 8)]), [[1, 1], [
    2,
    1,
  ]]);
  assert.equal(muxer.codecs, "avc1.64000d,mp4a.40.2");
  // tkhd width/height (16.16) from the SPS
  const tkhd = find(traks[0]!.body, "tkhd").body;
  assert.deepEqual([u32(tkhd, 76) / 65536, u32(tkhd, 80) / 65536], [320, 240]);
  assert.equal(
    muxer.initSegment(),
    init,
    "cached until the configuration changes",
  );
});

Deno.test("Fmp4Muxer writes avc1/avcC with the config record verbatim", () => {
  const muxer = new Fmp4Muxer();
  muxer.configure(config("video", "h264", AVCC));
  const { entry, children } = sampleEntry(muxer.initSegment()!, 0);
  assert.equal(entry.type, "avc1");
  assert.equal(u16(entry.body, 6), 1, "data_reference_index");
  assert.deepEqual([u16(entry.body, 24), u16(entry.body, 26)], [320, 240]);
  assert.equal(children[0]?.type, "avcC");
  assert.deepEqual(children[0]!.body, AVCC);
});

Deno.test("Fmp4Muxer writes mp4a/esds carrying the AudioSpecificConfig", () => {
  const muxer = new Fmp4Muxer();
  muxer.configure(config("audio", "aac", new Uint8Array([0x12, 0x08]))); // 44.1 kHz mono
  const { entry, children } = sampleEntry(muxer.initSegment()!, 0);
  assert.equal(entry.type, "mp4a");
  assert.equal(u16(entry.body, 16), 1, "channelcount");
  assert.equal(u32(entry.body, 24), 44100 * 65536, "samplerate 16.16");
  const esds = children[0]!;
  assert.equal(esds.type, "esds");
  const body = esds.body;
  const asc = body.indexOf(0x05, 20);
  assert.deepEqual([...body.subarray(asc + 5, asc + 7)], [0x12, 0x08]);
  assert.equal(body[4], 0x03, "ES_DescrTag");
  assert.equal(body.at(-6), 0x06, "SLConfigDescrTag");
  assert.equal(body.at(-1), 0x02);
  assert.equal(muxer.tracks[0]?.timescale, 44100);
});

Deno.test("Fmp4Muxer converts the little-endian OpusHead into a big-endian dOps", () => {
  const head = new Uint8Array([
    ...new TextEncoder().encode("OpusHead"),
    1, // version
    2, // channels
    0x38,
    0x01, // pre-skip 312
    0x80,
    0xbb,
    0x00,
    0x00, // 48000
    0xfe,
    0xff, // gain -2
    0, // mapping family
  ]);
  const muxer = new Fmp4Muxer();
  muxer.configure(config("audio", "opus", head));
  const { entry, children } = sampleEntry(muxer.initSegment()!, 0);
  assert.equal(entry.type, "Opus");
  assert.equal(u16(entry.body, 16), 2);
  assert.equal(children[0]?.type, "dOps");
  assert.deepEqual([...children[0]!.body], [
    0,
    2,
    0x01,
    0x38,
    0,
    0,
    0xbb,
    0x80,
    0xff,
    0xfe,
    0,
  ]);
  assert.equal(muxer.tracks[0]?.timescale, 48000);
});

Deno.test("Fmp4Muxer writes vp09/vpcC as a version 1 FullBox", () => {
  const muxer = new Fmp4Muxer();
  muxer.configure(config("video", "vp9", VPCC));
  const { entry, children } = sampleEntry(muxer.initSegment()!, 0);
  assert.equal(entry.type, "vp09");
  assert.equal(children[0]?.type, "vpcC");
  assert.deepEqual([...children[0]!.body], [...VPCC]);
  assert.equal(muxer.codecs, "vp09.00.20.08");
});

Deno.test("Fmp4Muxer reads the VP9 picture size from the first key frame into a new init segment", () => {
  const muxer = new Fmp4Muxer();
  muxer.configure(config("video", "vp9", VPCC));
  const before = muxer.initSegment()!;
  assert.equal(
    u16(sampleEntry(before, 0).entry.body, 24),
    0,
    "vpcC has no size",
  );
  // a 64x64 profile 0 key frame header (VP9 §6.2)
  const key = new Uint8Array([
    0x82,
    0x49,
    0x83,
    0x42,
    0x00,
    0x03,
    0xf0,
    0x03,
    0xf0,
    0x00,
  ]);
  muxer.mux([{ ...config("video", "vp9", key), config: false }]);
  const after = muxer.initSegment()!;
  assert.notEqual(after, before);
  const { entry } = sampleEntry(after, 0);
  assert.deepEqual([u16(entry.body, 24), u16(entry.body, 26)], [64, 64]);
  assert.deepEqual([muxer.tracks[0]?.width, muxer.tracks[0]?.height], [64, 64]);
});

Deno.test("Fmp4Muxer writes hvc1/hvcC and av01/av1C", () => {
  const hvcC = HVCC_320X240;
  const av1C = AV1C_320X240;
  const muxer = new Fmp4Muxer();
  muxer.configure(config("video", "h265", hvcC));
  muxer.configure(config("video", "av1", av1C, 1));
  const init = muxer.initSegment()!;
  assert.deepEqual(muxer.tracks.map((t) => t.id), [1, 3]);
  const hevc = sampleEntry(init, 0);
  const av1 = sampleEntry(init, 1);
  assert.deepEqual([hevc.entry.type, hevc.children[0]?.type], ["hvc1", "hvcC"]);
  assert.deepEqual([av1.entry.type, av1.children[0]?.type], ["av01", "av1C"]);
  assert.deepEqual(av1.children[0]!.body, av1C);
  for (const { entry } of [hevc, av1]) {
    assert.deepEqual([u16(entry.body, 24), u16(entry.body, 26)], [320, 240]);
  }
  assert.match(muxer.codecs, /^hvc1\.1\.6\.L60\.90,av01\.0\.00M\.08$/);
});

Deno.test("Fmp4Muxer.configure() gives extra tracks ids from 3 and replaces a known track's config", () => {
  const muxer = new Fmp4Muxer();
  muxer.configure(config("audio", "aac", ASC_48K_STEREO, 0));
  muxer.configure(config("audio", "aac", new Uint8Array([0x12, 0x10]), 1));
  muxer.configure(config("video", "h264", AVCC));
  assert.deepEqual(muxer.tracks.map((t) => [t.id, t.kind, t.sourceTrackId]), [
    [1, "video", 0],
    [2, "audio", 0],
    [3, "audio", 1],
  ]);
  const before = muxer.initSegment();
  muxer.configure(config("audio", "aac", new Uint8Array([0x12, 0x08]), 1));
  assert.equal(muxer.tracks.length, 3);
  assert.equal(muxer.tracks[2]?.channels, 1);
  assert.notEqual(muxer.initSegment(), before);
});

Deno.test("Fmp4Muxer.configure() rejects media frames and unsupported codecs", () => {
  const muxer = new Fmp4Muxer();
  assert.throws(
    () => muxer.configure({ ...config("video", "h264", AVCC), config: false }),
    (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
  );
  assert.throws(
    () => muxer.configure(config("audio", "mp3", new Uint8Array(4))),
    (e: unknown) => e instanceof StreamError && e.code === "Unsupported",
  );
  assert.throws(
    () => muxer.configure(config("audio", "opus", new Uint8Array(10))),
    (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
  );
});
