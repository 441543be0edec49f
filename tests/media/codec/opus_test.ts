import assert from "node:assert/strict";
import {
  buildOpusHead,
  codecString,
  parseCodecConfig,
  parseOpusHead,
} from "../../../media/codec/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { BitstreamError } from "../../../media/stream_error.ts";
import { fixture, probe } from "./_fixtures.ts";

/** The OpusHead packet inside the first Ogg page (RFC 7845 §3: alone in page 1). */
function opusHeadOf(ogg: Uint8Array): Uint8Array {
  const segments = ogg[26]!;
  const start = 27 + segments;
  let length = 0;
  for (let i = 0; i < segments; i++) length += ogg[27 + i]!;
  return ogg.subarray(start, start + length);
}

function opus(data: Uint8Array): MediaFrame {
  return {
    kind: "audio",
    codec: "opus",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data,
  };
}

Deno.test("parseOpusHead() matches ffprobe for a libopus Ogg file", () => {
  const head = opusHeadOf(fixture("opus_stereo.ogg"));
  const p = probe("opus_stereo.ogg");
  assert.equal(head.length, p.extradata_size);
  const parsed = parseOpusHead(head);
  assert.equal(parsed.channels, p.channels);
  assert.equal(parsed.inputSampleRate, 48000);
  assert.equal(parsed.preSkip, 312); // libopus' encoder delay at 48 kHz
  assert.equal(parsed.mappingFamily, 0);
  const info = parseCodecConfig(opus(head));
  assert.equal(String(info.sampleRate), p.sample_rate);
  assert.equal(info.channels, p.channels);
  assert.equal(codecString(opus(head)), "opus");
});

Deno.test("buildOpusHead() round-trips family 0 and family 1 headers", () => {
  const head = parseOpusHead(opusHeadOf(fixture("opus_stereo.ogg")));
  const rebuilt = parseOpusHead(buildOpusHead(head));
  assert.deepEqual({ ...rebuilt, version: 0 }, { ...head, version: 0 });
  const surround = {
    channels: 6,
    preSkip: 312,
    inputSampleRate: 48000,
    outputGain: -256,
    mappingFamily: 1,
    streamCount: 4,
    coupledCount: 2,
    channelMapping: new Uint8Array([0, 4, 1, 2, 3, 5]),
  };
  const parsed = parseOpusHead(buildOpusHead(surround));
  assert.equal(parsed.outputGain, -256);
  assert.deepEqual([...parsed.channelMapping], [0, 4, 1, 2, 3, 5]);
});

Deno.test("parseOpusHead() rejects bad magic, versions, counts and truncation", () => {
  const head = opusHeadOf(fixture("opus_stereo.ogg"));
  for (let n = 0; n < head.length; n++) {
    assert.throws(() => parseOpusHead(head.subarray(0, n)), BitstreamError);
  }
  const bad = head.slice();
  bad[8] = 0x10;
  assert.throws(() => parseOpusHead(bad), BitstreamError);
  const three = head.slice();
  three[9] = 3;
  assert.throws(() => parseOpusHead(three), BitstreamError);
});
