// Interop: HlsSegmenter + Fmp4Muxer output read by ffprobe, ffmpeg and hls-parser.
import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import { missing, run, tempDir } from "../../_tools.ts";
import { assertPlayable, packageTo, sampleFrames } from "./_interop.ts";

Deno.test({
  name: "HlsSegmenter fMP4 output plays in ffprobe/ffmpeg with exact durations",
  ignore: missing("ffprobe", "ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-hls-fmp4-");
    const hls = await packageTo(dir.path, await sampleFrames(), {
      format: "fmp4",
      prefix: "live/cam",
      targetDurationMs: 2000,
    });
    const playlist = await assertPlayable(`${dir.path}/live/cam/index.m3u8`, {
      durationS: 10,
      targetDurationS: 2,
    });
    assert.equal(playlist.segments.length, 5);
    assert.equal(playlist.segments[0]!.map.uri, "init.mp4");
    for (const segment of playlist.segments.slice(0, -1)) {
      assert.equal(segment.duration, 2);
    }
    // Every segment is decodable on its own after the init segment.
    const init = await Deno.readFile(`${dir.path}/live/cam/init.mp4`);
    for (const segment of playlist.segments) {
      const body = await Deno.readFile(`${dir.path}/live/cam/${segment.uri}`);
      const path = `${dir.path}/one.mp4`;
      await Deno.writeFile(path, new Uint8Array([...init, ...body]));
      const decode = await run("ffmpeg", [
        "-v",
        "error",
        "-i",
        path,
        "-f",
        "null",
        "-",
      ]);
      assert.equal(
        decode.stderr.trim(),
        "",
        `${segment.uri}: ${decode.stderr}`,
      );
    }
    // The master playlist names the codecs ffprobe sees (H.264 Main 3.1, AAC-LC).
    const master = HLS.parse(hls.masterPlaylist()) as HLS.types.MasterPlaylist;
    const variant = master.variants[0]!;
    assert.equal(variant.codecs, "avc1.4d401f,mp4a.40.2");
    assert.equal(variant.frameRate, 30);
    assert.deepEqual(variant.resolution, { width: 640, height: 360 });
    assert.ok(
      variant.bandwidth > 100_000 && variant.bandwidth < 1_000_000,
      `${variant.bandwidth}`,
    );
  },
});

Deno.test({
  name: "HlsSegmenter LL-HLS fMP4 parts and segments both play in ffmpeg",
  ignore: missing("ffprobe", "ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-llhls-fmp4-");
    await packageTo(dir.path, await sampleFrames(), {
      format: "fmp4",
      prefix: "live/ll",
      targetDurationMs: 2000,
      partTargetMs: 500,
      playlistType: "event",
    });
    const base = `${dir.path}/live/ll`;
    const playlist = await assertPlayable(`${base}/index.m3u8`, {
      durationS: 10,
      targetDurationS: 2,
    });
    assert.equal(playlist.partTargetDuration, 0.5);
    // A part playlist: the parts of the last listed segments, as their own VOD playlist.
    const withParts = playlist.segments.filter((s) => s.parts.length > 0);
    assert.ok(withParts.length >= 2);
    const lines = [
      "#EXTM3U",
      "#EXT-X-VERSION:7",
      "#EXT-X-TARGETDURATION:1",
      '#EXT-X-MAP:URI="init.mp4"',
    ];
    for (const segment of withParts) {
      for (const part of segment.parts) {
        assert.ok((part.duration ?? 0) <= 0.5 + 1e-9);
        lines.push(`#EXTINF:${part.duration},`, part.uri);
      }
    }
    lines.push("#EXT-X-ENDLIST", "");
    await Deno.writeTextFile(`${base}/parts.m3u8`, lines.join("\n"));
    const copy = await run("ffmpeg", [
      "-v",
      "error",
      "-i",
      `${base}/parts.m3u8`,
      "-c",
      "copy",
      "-f",
      "null",
      "-",
    ]);
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal(copy.stderr.trim(), "");
  },
});
