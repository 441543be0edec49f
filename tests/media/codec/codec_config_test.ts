import assert from "node:assert/strict";
import {
  buildAudioSpecificConfig,
  codecString,
  isRandomAccess,
  parseCodecConfig,
} from "../../../media/codec/mod.ts";
import type { CodecId, MediaFrame, TrackKind } from "../../../media/frame.ts";
import { BitstreamError, StreamError } from "../../../media/stream_error.ts";

function frame(
  kind: TrackKind,
  codec: CodecId,
  data: Uint8Array,
  config = false,
): MediaFrame {
  return {
    kind,
    codec,
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config,
    data,
  };
}

Deno.test("isRandomAccess() is true for config frames, audio and data", () => {
  assert.ok(isRandomAccess(frame("video", "h264", new Uint8Array([1]), true)));
  assert.ok(
    isRandomAccess(frame("audio", "aac", new Uint8Array([0x21, 0x10]))),
  );
  assert.ok(
    isRandomAccess(frame("audio", "mp3", new Uint8Array([0xff, 0xfb]))),
  );
  assert.ok(isRandomAccess(frame("data", "amf0", new Uint8Array([2]))));
});

Deno.test("isRandomAccess() rejects a malformed AVCC sample with BitstreamError", () => {
  assert.throws(
    () =>
      isRandomAccess(
        frame("video", "h264", new Uint8Array([0, 0, 0, 9, 0x65])),
      ),
    BitstreamError,
  );
});

Deno.test("parseCodecConfig() reports Unsupported for codecs without a config record", () => {
  for (const codec of ["mp3", "amf0"] as const) {
    try {
      parseCodecConfig(frame("audio", codec, new Uint8Array(4), true));
      assert.fail("expected a StreamError");
    } catch (error) {
      assert.ok(error instanceof StreamError);
      assert.equal(error.code, "Unsupported");
    }
  }
});

Deno.test("parseCodecConfig() reports HE-AAC with its output rate and codec string", () => {
  const info = parseCodecConfig(
    frame("audio", "aac", new Uint8Array([0x2b, 0x11, 0x88, 0x00]), true),
  );
  assert.deepEqual(info, {
    codec: "aac",
    codecString: "mp4a.40.5",
    profile: 2,
    sampleRate: 48000,
    channels: 2,
  });
});

Deno.test("codecString() needs a config frame except for mp3 and opus", () => {
  assert.equal(
    codecString(frame("audio", "mp3", new Uint8Array(4))),
    "mp4a.40.34",
  );
  assert.equal(codecString(frame("audio", "opus", new Uint8Array(4))), "opus");
  const asc = buildAudioSpecificConfig({
    objectType: 2,
    sampleRate: 48000,
    channelConfiguration: 1,
  });
  assert.equal(codecString(frame("audio", "aac", asc, true)), "mp4a.40.2");
  assert.throws(
    () =>
      codecString(frame("video", "h264", new Uint8Array([0, 0, 0, 1, 0x65]))),
    (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
  );
});

Deno.test("parseCodecConfig() rejects an avcC without SPS", () => {
  const avcC = new Uint8Array([1, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0]);
  assert.throws(
    () => parseCodecConfig(frame("video", "h264", avcC, true)),
    BitstreamError,
  );
});

Deno.test("parseCodecConfig() keeps the record's own fields when its SPS is malformed", () => {
  // avcC header says High 4.1; the SPS inside is truncated after level_idc.
  const avcC = new Uint8Array([
    1,
    0x64,
    0x00,
    0x29,
    0xff,
    0xe1,
    0,
    4,
    0x67,
    0x64,
    0x00,
    0x29,
    0,
  ]);
  const info = parseCodecConfig(frame("video", "h264", avcC, true));
  assert.deepEqual(info, {
    codec: "h264",
    codecString: "avc1.640029",
    profile: 100,
    level: 41,
  });
});
