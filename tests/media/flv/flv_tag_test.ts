import assert from "node:assert/strict";
import {
  BitstreamError,
  type CodecId,
  flvBodyByteLength,
  flvBodyToFrames,
  frameToFlvBody,
  type MediaFrame,
  parseFlvAudioBody,
  parseFlvVideoBody,
  StreamError,
  writeFlvBodyInto,
} from "../../../media/flv/mod.ts";

function bytes(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") { for (const c of p) out.push(c.charCodeAt(0)); }
    else out.push(...p);
  }
  return new Uint8Array(out);
}

function frame(over: Partial<MediaFrame> & { codec: CodecId }): MediaFrame {
  const video = ["h264", "h265", "av1", "vp9"].includes(over.codec);
  return {
    kind: video ? "video" : "audio",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: new Uint8Array([1, 2, 3]),
    ...over,
  };
}

Deno.test("parseFlvVideoBody() maps a legacy AVC sequence header and NALU packet", () => {
  const header = bytes([0x17, 0x00, 0, 0, 0], [1, 0x64, 0, 0x1f]);
  const [config] = parseFlvVideoBody(header, 0);
  assert.equal(config?.config, true);
  assert.equal(config?.codec, "h264");
  assert.deepEqual(config?.data, bytes([1, 0x64, 0, 0x1f]));

  const nalu = bytes([0x27, 0x01, 0xff, 0xff, 0xd8], [0, 0, 0, 1, 0x41]);
  const [inter] = parseFlvVideoBody(nalu, 1000);
  assert.equal(inter?.keyframe, false);
  assert.equal(inter?.dts, 1000);
  assert.equal(inter?.pts, 960); // negative composition time (SI24 -40)
  assert.equal(inter?.timescale, 1000);
});

Deno.test("parseFlvVideoBody() returns views of the body, never copies", () => {
  const body = bytes([0x17, 0x01, 0, 0, 0], [0, 0, 0, 1, 0x65]);
  const [f] = parseFlvVideoBody(body, 0);
  assert.equal(f?.data.buffer, body.buffer);
  assert.equal(f?.data.byteOffset, 5);
});

Deno.test("parseFlvVideoBody() maps legacy codec id 12 to HEVC", () => {
  const [f] = parseFlvVideoBody(bytes([0x1c, 0x01, 0, 0, 0x21], [9]), 5);
  assert.equal(f?.codec, "h265");
  assert.equal(f?.pts, 5 + 0x21);
});

Deno.test("parseFlvVideoBody() ignores end-of-sequence and command frames", () => {
  assert.deepEqual(parseFlvVideoBody(bytes([0x17, 0x02, 0, 0, 0]), 0), []);
  assert.deepEqual(parseFlvVideoBody(bytes([0x57, 0x00]), 0), []);
  // Enhanced command frame: IsExHeader | FrameType 5 | CodedFrames, command 0
  assert.deepEqual(parseFlvVideoBody(bytes([0xd1, 0x00]), 0), []);
});

Deno.test("parseFlvVideoBody() maps Enhanced RTMP packet types per FourCC", () => {
  const cases: [string, Uint8Array, Partial<MediaFrame> | undefined][] = [
    ["hvc1 SequenceStart", bytes([0x90], "hvc1", [1, 2]), {
      codec: "h265",
      config: true,
    }],
    ["hvc1 CodedFrames (with cts)", bytes([0xa1], "hvc1", [0, 0, 80, 7]), {
      codec: "h265",
      keyframe: false,
      pts: 180,
    }],
    ["hvc1 CodedFramesX (cts 0)", bytes([0x93], "hvc1", [7]), {
      codec: "h265",
      pts: 100,
    }],
    ["avc1 CodedFrames", bytes([0x91], "avc1", [0, 0, 40, 7]), {
      codec: "h264",
      pts: 140,
    }],
    ["av01 CodedFrames (no cts)", bytes([0x91], "av01", [0x12, 0]), {
      codec: "av1",
      pts: 100,
      data: bytes([0x12, 0]),
    }],
    ["vp09 CodedFrames (no cts)", bytes([0xa1], "vp09", [0x82]), {
      codec: "vp9",
      keyframe: false,
      data: bytes([0x82]),
    }],
    ["SequenceEnd", bytes([0x92], "av01"), undefined],
    ["Metadata", bytes([0x94], "hvc1", [2, 0, 1, 0x61]), undefined],
    ["MPEG2TSSequenceStart", bytes([0x95], "av01", [0x80]), undefined],
  ];
  for (const [name, body, expected] of cases) {
    const frames = parseFlvVideoBody(body, 100);
    if (expected === undefined) {
      assert.deepEqual(frames, [], name);
      continue;
    }
    assert.equal(frames.length, 1, name);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(frames[0]![key as keyof MediaFrame], value, name);
    }
  }
});

Deno.test("parseFlvVideoBody() skips Enhanced RTMP v2 ModEx data", () => {
  // packetType ModEx(7), size 3 (byte 2), nanosecond offset, then CodedFramesX
  const body = bytes([0x97, 2, 0, 0, 5, 0x03], "av01", [0xaa]);
  const [f] = parseFlvVideoBody(body, 0);
  assert.equal(f?.codec, "av1");
  assert.deepEqual(f?.data, bytes([0xaa]));
});

Deno.test("parseFlvVideoBody() splits v2 multitrack ManyTracks bodies", () => {
  const body = bytes(
    [0x96, 0x11], // Multitrack, ManyTracks | CodedFrames
    "avc1",
    [1, 0, 0, 5, 0, 0, 0, 0xa1, 0xa2], // track 1, size 5: cts 0 + 2 bytes
    [2, 0, 0, 4, 0, 0, 10, 0xb1], // track 2, size 4: cts 10 + 1 byte
  );
  const frames = parseFlvVideoBody(body, 0);
  assert.deepEqual(
    frames.map((f) => [f.trackId, f.pts, [...f.data]]),
    [[1, 0, [0xa1, 0xa2]], [2, 10, [0xb1]]],
  );
});

Deno.test("parseFlvVideoBody() reads ManyTracksManyCodecs FourCCs per track", () => {
  const body = bytes(
    [0x96, 0x23], // ManyTracksManyCodecs | CodedFramesX
    "av01",
    [0, 0, 0, 1, 0xa1],
    "vp09",
    [1, 0, 0, 1, 0xb1],
  );
  const frames = parseFlvVideoBody(body, 0);
  assert.deepEqual(frames.map((f) => [f.codec, f.trackId]), [["av1", 0], [
    "vp9",
    1,
  ]]);
});

Deno.test("parseFlvAudioBody() maps legacy AAC/MP3 and Enhanced Opus/mp4a", () => {
  assert.equal(
    parseFlvAudioBody(bytes([0xaf, 0, 0x11, 0x90]), 0)[0]?.config,
    true,
  );
  assert.equal(parseFlvAudioBody(bytes([0xaf, 1, 9]), 0)[0]?.config, false);
  const [opusHead] = parseFlvAudioBody(bytes([0x90], "Opus", "OpusHead"), 0);
  assert.equal(opusHead?.codec, "opus");
  assert.equal(opusHead?.config, true);
  const [opus] = parseFlvAudioBody(bytes([0x91], "Opus", [0xfc]), 20);
  assert.deepEqual([opus?.codec, opus?.dts, opus?.keyframe], [
    "opus",
    20,
    true,
  ]);
  const [aac] = parseFlvAudioBody(bytes([0x91], "mp4a", [1]), 0);
  assert.equal(aac?.codec, "aac");
  // Enhanced audio multitrack OneTrack, track 3
  const [mt] = parseFlvAudioBody(bytes([0x95, 0x01], "Opus", [3, 0xfc]), 0);
  assert.deepEqual([mt?.codec, mt?.trackId], ["opus", 3]);
});

Deno.test("flvBodyToFrames() refuses unsupported codecs with the supported list", () => {
  for (
    const [type, body] of [
      [9, bytes([0x12, 0])], // Sorenson H.263
      [8, bytes([0x6f, 0])], // Nellymoser
      [9, bytes([0x91], "vvc1", [0])],
      [8, bytes([0x91], "fLaC", [0])],
      [15, bytes([0])],
    ] as const
  ) {
    assert.throws(
      () => flvBodyToFrames(type, body, 0),
      (e) => e instanceof StreamError && e.code === "Unsupported",
    );
  }
});

Deno.test("flvBodyToFrames() reports truncated headers as BitstreamError", () => {
  for (
    const body of [
      bytes(),
      bytes([0x17, 1, 0]),
      bytes([0x91], "hv"),
      bytes([0x91], "hvc1", [0]),
      bytes([0x96, 0x11], "avc1", [1, 0, 0, 9, 0]),
    ]
  ) {
    assert.throws(() => parseFlvVideoBody(body, 0), BitstreamError);
  }
  assert.throws(() => parseFlvAudioBody(bytes([0xaf]), 0), BitstreamError);
});

Deno.test("flvBodyToFrames() maps script data to one amf0 data frame", () => {
  const body = bytes([2, 0, 1], "x");
  const [f] = flvBodyToFrames(18, body, 7);
  assert.deepEqual([f?.kind, f?.codec, f?.dts, f?.data], [
    "data",
    "amf0",
    7,
    body,
  ]);
});

Deno.test("frameToFlvBody() picks legacy or Enhanced headers and round-trips", () => {
  const cases: [MediaFrame, number[]][] = [
    [frame({ codec: "h264", pts: 140, dts: 100 }), [0x17, 1, 0, 0, 40]],
    [frame({ codec: "h264", config: true }), [0x17, 0, 0, 0, 0]],
    [frame({ codec: "h265", pts: 140, dts: 100, keyframe: false }), [
      0xa1,
      ...bytes("hvc1"),
      0,
      0,
      40,
    ]],
    [frame({ codec: "h265", pts: 100, dts: 100 }), [0x93, ...bytes("hvc1")]],
    [frame({ codec: "h265", config: true }), [0x90, ...bytes("hvc1")]],
    [frame({ codec: "av1" }), [0x91, ...bytes("av01")]],
    [frame({ codec: "vp9", keyframe: false }), [0xa1, ...bytes("vp09")]],
    [frame({ codec: "aac" }), [0xaf, 1]],
    [frame({ codec: "aac", config: true }), [0xaf, 0]],
    [frame({ codec: "mp3" }), [0x2f]],
    [frame({ codec: "opus" }), [0x91, ...bytes("Opus")]],
    [frame({ codec: "opus", config: true }), [0x90, ...bytes("Opus")]],
    [frame({ codec: "h264", trackId: 2, keyframe: false }), [
      0xa6,
      0x03,
      ...bytes("avc1"),
      2,
    ]],
    [frame({ codec: "aac", trackId: 1 }), [0x95, 0x01, ...bytes("mp4a"), 1]],
  ];
  for (const [f, header] of cases) {
    const body = frameToFlvBody(f);
    const name = `${f.codec} config=${f.config} track=${f.trackId}`;
    assert.deepEqual([...body.subarray(0, header.length)], header, name);
    assert.equal(body.length, header.length + f.data.length, name);
    assert.equal(flvBodyByteLength(f), body.length, name);
    const [back] = flvBodyToFrames(f.kind === "video" ? 9 : 8, body, f.dts);
    assert.deepEqual(back, f, name);
  }
});

Deno.test("frameToFlvBody() converts other timescales to milliseconds", () => {
  const f = frame({
    codec: "h264",
    pts: 93_003,
    dts: 90_000,
    timescale: 90_000,
  });
  const body = frameToFlvBody(f);
  assert.deepEqual([...body.subarray(2, 5)], [0, 0, 33]); // 3003 ticks ≈ 33 ms
});

Deno.test("writeFlvBodyInto() refuses a short buffer and unsupported codecs", () => {
  const f = frame({ codec: "aac" });
  assert.throws(() => writeFlvBodyInto(f, new Uint8Array(4), 1), RangeError);
  assert.throws(
    () => frameToFlvBody(frame({ codec: "vvc", kind: "video" })),
    (e) => e instanceof StreamError && e.code === "Unsupported",
  );
});
