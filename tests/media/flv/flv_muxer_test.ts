import assert from "node:assert/strict";
import {
  Amf0EcmaArray,
  decodeAmf0,
  encodeAmf0,
  encodeFlvTag,
  FlvMuxer,
  flvTagByteLength,
  frameToFlvTag,
  type MediaFrame,
  readFlvFile,
} from "../../../media/flv/mod.ts";

const AVCC = new Uint8Array([
  1,
  0x42,
  0xc0,
  0x1e,
  0xff,
  0xe1,
  0,
  4,
  0x67,
  0x42,
  0xc0,
  0x1e,
  1,
  0,
  2,
  0x68,
  0xce,
]);

function frame(over: Partial<MediaFrame>): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: new Uint8Array([0, 0, 0, 1, 0x65]),
    ...over,
  }; // deno-fmt-ignore
}

Deno.test("FlvMuxer.initSegment() writes the header, onMetaData and sequence headers at 0 ms", () => {
  const muxer = new FlvMuxer({ metadata: { width: 64, framerate: 25 } });
  muxer.configure(frame({ config: true, data: AVCC, dts: 5000, pts: 5000 }));
  muxer.configure(
    frame({
      kind: "audio",
      codec: "aac",
      config: true,
      data: new Uint8Array([0x12, 0x10]),
    }),
  );
  const head = muxer.initSegment();
  assert.deepEqual([...head.subarray(0, 13)], [
    0x46,
    0x4c,
    0x56,
    1,
    0x05,
    0,
    0,
    0,
    9,
    0,
    0,
    0,
    0,
  ]);
  const { frames } = readFlvFile(head);
  assert.deepEqual(frames.map((f) => [f.kind, f.codec, f.config, f.dts]), [
    ["data", "amf0", false, 0],
    ["video", "h264", true, 0],
    ["audio", "aac", true, 0],
  ]);
  const [name, meta] = decodeAmf0(frames[0]!.data) as [string, Amf0EcmaArray];
  assert.equal(name, "onMetaData");
  assert.deepEqual(meta.properties, {
    duration: 0,
    videocodecid: 7,
    audiocodecid: 10,
    encoder: "arcly-stream",
    width: 64,
    framerate: 25,
  });
});

Deno.test("FlvMuxer uses a configured script frame as onMetaData verbatim", () => {
  const muxer = new FlvMuxer();
  const script = encodeAmf0(["onMetaData", new Amf0EcmaArray({ width: 1920 })]);
  muxer.configure({ ...frame({}), kind: "data", codec: "amf0", data: script });
  const [meta] = readFlvFile(muxer.initSegment()).frames;
  assert.deepEqual(meta?.data, script);
});

Deno.test("FlvMuxer.mux() writes PreviousTagSize and 32-bit timestamps with the extended byte", () => {
  const muxer = new FlvMuxer();
  const ts = 0x12345678;
  const tags = muxer.mux([frame({ dts: ts, pts: ts + 40, keyframe: false })]);
  assert.equal(tags.length, flvTagByteLength(5 + 5));
  assert.equal(tags[0], 9);
  assert.deepEqual([...tags.subarray(4, 8)], [0x34, 0x56, 0x78, 0x12]);
  const view = new DataView(tags.buffer);
  assert.equal(view.getUint32(tags.length - 4), tags.length - 4);
  const file = new Uint8Array([...new FlvMuxer().initSegment(), ...tags]);
  const last = readFlvFile(file).frames.at(-1)!;
  assert.deepEqual([last.dts, last.pts, last.keyframe], [ts, ts + 40, false]);
});

Deno.test("FlvMuxer.mux() takes new sequence headers inline and into the next initSegment()", () => {
  const muxer = new FlvMuxer();
  const config = frame({ config: true, data: AVCC, dts: 9000, pts: 9000 });
  const tags = muxer.mux([config, frame({ dts: 9000, pts: 9000 })]);
  assert.equal(muxer.byteLengthOf([config, frame({})]), tags.length);
  const { frames } = readFlvFile(
    new Uint8Array([...new FlvMuxer().initSegment(), ...tags]),
  );
  assert.deepEqual(frames.slice(1).map((f) => [f.config, f.dts]), [
    [true, 9000],
    [false, 9000],
  ]);
  assert.equal(readFlvFile(muxer.initSegment()).frames[1]?.config, true);
});

Deno.test("encodeFlvTag() and frameToFlvTag() build the same bytes as the muxer", () => {
  const f = frame({ dts: 40, pts: 80 });
  const viaMuxer = new FlvMuxer().mux([f]);
  assert.deepEqual(frameToFlvTag(f), viaMuxer);
  assert.deepEqual(
    encodeFlvTag(9, 40, viaMuxer.subarray(11, viaMuxer.length - 4)),
    viaMuxer,
  );
});
