// Interop: HlsSegmenter + MpegTsMuxer output read by ffprobe, ffmpeg and hls-parser.
import assert from "node:assert/strict";
import { ffprobe, missing, tempDir } from "../../_tools.ts";
import { assertPlayable, packageTo, sampleFrames } from "./_interop.ts";

Deno.test({
  name:
    "HlsSegmenter MPEG-TS output plays in ffprobe/ffmpeg, every segment on its own",
  ignore: missing("ffprobe", "ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-hls-ts-");
    await packageTo(dir.path, await sampleFrames(), {
      format: "ts",
      prefix: "live/cam",
      targetDurationMs: 2000,
    });
    const playlist = await assertPlayable(`${dir.path}/live/cam/index.m3u8`, {
      durationS: 10,
      targetDurationS: 2,
    });
    assert.equal(playlist.segments.length, 5);
    for (const segment of playlist.segments) {
      const probe = await ffprobe(`${dir.path}/live/cam/${segment.uri}`);
      assert.equal(probe.stderr.trim(), "", segment.uri);
      assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), [
        "aac",
        "h264",
      ]);
      const duration = Number(probe.format.duration);
      assert.ok(
        Math.abs(duration - segment.duration) < 0.1,
        `${segment.uri}: ${duration} vs ${segment.duration}`,
      );
    }
  },
});

Deno.test({
  name: "HlsSegmenter LL-HLS MPEG-TS: parts play as their own playlist",
  ignore: missing("ffprobe", "ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-llhls-ts-");
    await packageTo(dir.path, await sampleFrames(), {
      format: "ts",
      prefix: "live/ll",
      targetDurationMs: 2000,
      partTargetMs: 334,
      playlistType: "event",
    });
    const base = `${dir.path}/live/ll`;
    const playlist = await assertPlayable(`${base}/index.m3u8`, {
      durationS: 10,
      targetDurationS: 2,
    });
    const parts = playlist.segments.flatMap((s) => s.parts);
    assert.ok(parts.length >= 18, `${parts.length} parts listed`);
    const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1"];
    for (const part of parts) {
      assert.ok(
        (part.duration ?? 0) <= 0.334 + 1e-9,
        `${part.uri}: ${part.duration}`,
      );
      lines.push(`#EXTINF:${part.duration},`, part.uri);
    }
    lines.push("#EXT-X-ENDLIST", "");
    await Deno.writeTextFile(`${base}/parts.m3u8`, lines.join("\n"));
    const probe = await ffprobe(`${base}/parts.m3u8`);
    assert.equal(probe.stderr.trim(), "");
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), [
      "aac",
      "h264",
    ]);
  },
});
