// MpegTsDemuxer round trips with our MpegTsMuxer on real encoder output.
import assert from "node:assert/strict";
import { readFlvFile } from "../../../media/flv/mod.ts";
import {
  parseAudioSpecificConfig,
  parseAvcDecoderConfig,
  parseHevcDecoderConfig,
} from "../../../media/codec/mod.ts";
import { missing, tempDir } from "../../_tools.ts";
import { makeH264AacFlv, makeHevcFrames, makeOpusFrames } from "./_fixtures.ts";
import {
  assertConfigFirst,
  assertSameMedia,
  demuxAll,
  muxSegments,
} from "./_demux_helpers.ts";
import { ffmpegTs } from "./_demux_interop.ts";

Deno.test({
  name:
    "demuxer: H.264 + AAC round trip through MpegTsMuxer (frames in == frames out)",
  ignore: missing("ffmpeg"),
  async fn() {
    await using dir = await tempDir();
    const flv = await Deno.readFile(await makeH264AacFlv(dir.path));
    const input = readFlvFile(flv).frames.filter((f) => f.kind !== "data");
    const ts = muxSegments(input);
    for (const chunk of [188, 1009, 7 * 188, ts.length]) {
      const { frames, events, demuxer } = demuxAll(ts, chunk);
      assertConfigFirst(frames);
      assertSameMedia(input, frames, `chunk ${chunk}`);
      assert.deepEqual(
        events.filter((e) => e.type !== "programChanged"),
        [],
        "no damage events",
      );
      const stats = demuxer.stats;
      assert.equal(stats.continuityErrors, 0);
      assert.equal(stats.droppedAccessUnits, 0);
      assert.equal(stats.packets, ts.length / 188);
      assert.ok(stats.lastPcr !== undefined && stats.lastPcr > 0);
      const avcIn = parseAvcDecoderConfig(
        input.find((f) => f.config && f.codec === "h264")!.data,
      );
      const avcOut = parseAvcDecoderConfig(
        frames.find((f) => f.config && f.codec === "h264")!.data,
      );
      assert.deepEqual(
        avcOut.sps.map((s) => [...s]),
        avcIn.sps.map((s) => [...s]),
      );
      assert.deepEqual(
        avcOut.pps.map((s) => [...s]),
        avcIn.pps.map((s) => [...s]),
      );
      const ascIn = input.find((f) => f.config && f.codec === "aac")!.data;
      const ascOut = frames.find((f) => f.config && f.codec === "aac")!.data;
      // ffmpeg's ASC adds a backward-compatible SBR sync extension; ADTS cannot.
      const pick = (b: Uint8Array) => {
        const c = parseAudioSpecificConfig(b);
        return [c.objectType, c.sampleRate, c.channelConfiguration];
      };
      assert.deepEqual(pick(ascOut), pick(ascIn));
      // one config per track: nothing changed mid-stream
      assert.equal(frames.filter((f) => f.config).length, 2);
    }
  },
});

Deno.test({
  name: "demuxer: H.265 round trip through MpegTsMuxer",
  ignore: missing("ffmpeg"),
  async fn() {
    const input = await makeHevcFrames();
    const ts = muxSegments(input);
    const { frames, events } = demuxAll(ts, 777);
    assertConfigFirst(frames);
    assertSameMedia(input, frames, "h265");
    assert.equal(events.filter((e) => e.type !== "programChanged").length, 0);
    const a = parseHevcDecoderConfig(input[0]!.data);
    const b = parseHevcDecoderConfig(frames[0]!.data);
    assert.deepEqual(
      b.arrays.map((x) => x.nalus.map((n) => [...n])),
      a.arrays.map((x) => x.nalus.map((n) => [...n])),
    );
  },
});

Deno.test({
  name: "demuxer: Opus round trip through MpegTsMuxer",
  ignore: missing("ffmpeg"),
  async fn() {
    const input = await makeOpusFrames();
    const ts = muxSegments(input);
    const { frames } = demuxAll(ts, 1316);
    assertConfigFirst(frames);
    assertSameMedia(input, frames, "opus");
    assert.equal(frames[0]!.config, true);
    assert.equal(
      frames[0]!.data[9],
      2,
      "OpusHead channel count from the descriptor",
    );
  },
});

Deno.test({
  name:
    "demuxer: MP3 (and H.264 with B-frames) round trip: ffmpeg TS → demux → MpegTsMuxer → demux",
  ignore: missing("ffmpeg"),
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/mp3.ts`;
    await ffmpegTs(path, {
      video: [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-bf",
        "2",
        "-g",
        "25",
      ],
      audio: ["-c:a", "libmp3lame", "-b:a", "96k"],
    });
    const first = demuxAll(await Deno.readFile(path), 1316).frames;
    assert.ok(first.some((f) => f.codec === "mp3" && f.data.length > 100));
    const again = demuxAll(muxSegments(first), 999).frames;
    assertConfigFirst(again);
    assertSameMedia(first, again, "mp3 + h264");
  },
});
