import assert from "node:assert/strict";
import {
  aacCodecString,
  buildAdtsHeader,
  buildAudioSpecificConfig,
  codecString,
  parseAdtsHeader,
  parseAudioSpecificConfig,
  parseCodecConfig,
  splitAdts,
} from "../../../media/codec/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { BitstreamError } from "../../../media/stream_error.ts";
import { fixture, hex, mp4Box, probe } from "./_fixtures.ts";

function audio(data: Uint8Array): MediaFrame {
  return {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data,
  };
}

for (const name of ["aac_lc_stereo.aac", "aac_lc_mono.aac"]) {
  Deno.test(`parseAdtsHeader() matches ffprobe for ${name}`, () => {
    const frames = splitAdts(fixture(name));
    const p = probe(name);
    assert.ok(frames.length > 2);
    const h = frames[0]!.header;
    assert.equal(String(h.sampleRate), p.sample_rate);
    assert.equal(h.channelConfiguration, p.channels);
    assert.equal(h.objectType === 2 ? "LC" : "?", p.profile);
    for (const { header, payload } of frames) {
      assert.equal(header.frameLength, payload.length + header.headerLength);
    }
  });

  Deno.test(`buildAdtsHeader() reproduces every ffmpeg header of ${name}`, () => {
    const data = fixture(name);
    let pos = 0;
    for (const { header, payload } of splitAdts(data)) {
      const built = buildAdtsHeader(header, payload.length);
      // ffmpeg writes buffer fullness 0x7FF (VBR) and one raw data block, as we do.
      assert.equal(hex(built), hex(data.subarray(pos, pos + 7)));
      pos += header.frameLength;
    }
  });

  Deno.test(`an AudioSpecificConfig built from ${name} parses back to ffprobe's values`, () => {
    const h = splitAdts(fixture(name))[0]!.header;
    const asc = buildAudioSpecificConfig({
      objectType: h.objectType,
      sampleRate: h.sampleRate,
      channelConfiguration: h.channelConfiguration,
    });
    const info = parseCodecConfig(audio(asc));
    const p = probe(name);
    assert.equal(String(info.sampleRate), p.sample_rate);
    assert.equal(info.channels, p.channels);
    assert.equal(info.codecString, "mp4a.40.2");
  });
}

Deno.test("buildAudioSpecificConfig() reproduces ffmpeg's esds DecoderSpecificInfo", () => {
  const esds = mp4Box(fixture("aac_lc_stereo.m4a"), "esds");
  // DecoderSpecificInfo: tag 0x05, length (4-byte form 80 80 80 02), then the ASC.
  const at = esds.findIndex((b, i) => b === 0x05 && esds[i + 1] === 0x80);
  const asc = esds.subarray(at + 5, at + 5 + esds[at + 4]!);
  const built = buildAudioSpecificConfig({
    objectType: 2,
    sampleRate: 44100,
    channelConfiguration: 2,
  });
  assert.equal(hex(built), hex(asc));
  const parsed = parseAudioSpecificConfig(asc);
  assert.equal(parsed.frameLength, 1024);
  assert.equal(parsed.sampleRate, 44100);
});

Deno.test("parseAudioSpecificConfig() reads explicit HE-AAC (object type 5) signalling", () => {
  // AOT 5, 24 kHz core (index 6), stereo, extension index 3 (48 kHz), AOT 2, GA config
  const asc = new Uint8Array([0x2b, 0x11, 0x88, 0x00]);
  const parsed = parseAudioSpecificConfig(asc);
  assert.equal(parsed.signalledObjectType, 5);
  assert.equal(parsed.objectType, 2);
  assert.ok(parsed.sbr);
  assert.equal(parsed.sampleRate, 24000);
  assert.equal(parsed.outputSampleRate, 48000);
  assert.equal(aacCodecString(parsed), "mp4a.40.5");
});

Deno.test("parseAudioSpecificConfig() reads backward-compatible SBR/PS signalling", () => {
  // AOT 2, 24 kHz, stereo, GA (000), sync 0x2b7, AOT 5, sbr 1, index 3, sync 0x548, ps 1
  const asc = new Uint8Array([0x13, 0x10, 0x56, 0xe5, 0x9d, 0x48, 0x80]);
  const parsed = parseAudioSpecificConfig(asc);
  assert.equal(parsed.objectType, 2);
  assert.ok(parsed.sbr);
  assert.ok(parsed.ps);
  assert.equal(parsed.outputSampleRate, 48000);
  assert.equal(aacCodecString(parsed), "mp4a.40.29");
});

Deno.test("AudioSpecificConfig round-trips an explicit sample rate and an escaped object type", () => {
  const asc = buildAudioSpecificConfig({
    objectType: 42,
    sampleRate: 44056,
    channelConfiguration: 1,
  });
  const parsed = parseAudioSpecificConfig(asc);
  assert.equal(parsed.objectType, 42);
  assert.equal(parsed.samplingFrequencyIndex, 15);
  assert.equal(parsed.sampleRate, 44056);
  assert.equal(parsed.channels, 1);
});

Deno.test("parseAudioSpecificConfig() rejects a reserved sampling frequency index", () => {
  assert.throws(
    () => parseAudioSpecificConfig(new Uint8Array([0x16, 0x90])),
    BitstreamError,
  );
  assert.throws(
    () => parseAudioSpecificConfig(new Uint8Array([0x12])),
    BitstreamError,
  );
});

Deno.test("parseAdtsHeader() rejects missing sync, short frames and truncation", () => {
  const good = buildAdtsHeader({
    objectType: 2,
    samplingFrequencyIndex: 4,
    channelConfiguration: 2,
  }, 10);
  assert.equal(parseAdtsHeader(good).frameLength, 17);
  assert.throws(() => parseAdtsHeader(good.subarray(0, 6)), BitstreamError);
  const noSync = good.slice();
  noSync[1] = 0xe1;
  assert.throws(() => parseAdtsHeader(noSync), BitstreamError);
  assert.throws(
    () => splitAdts(new Uint8Array([...good, 1, 2])),
    BitstreamError,
  );
});

Deno.test("buildAdtsHeader() rejects frames over 8191 bytes and non-AAC object types", () => {
  const config = {
    objectType: 2,
    samplingFrequencyIndex: 4,
    channelConfiguration: 2,
  };
  assert.throws(() => buildAdtsHeader(config, 8185), RangeError);
  assert.throws(
    () => buildAdtsHeader({ ...config, objectType: 5 }, 1),
    RangeError,
  );
});

Deno.test("codecString() of an AAC config frame is mp4a.40.2, as ffmpeg's HLS muxer writes", () => {
  const master = new TextDecoder().decode(fixture("h264_aac_master.m3u8"));
  assert.match(master, /mp4a\.40\.2/);
  const asc = buildAudioSpecificConfig({
    objectType: 2,
    sampleRate: 44100,
    channelConfiguration: 2,
  });
  assert.equal(codecString(audio(asc)), "mp4a.40.2");
});
