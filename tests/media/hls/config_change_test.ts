// Issue 20, fault 2: an encoder that restarts at another resolution and
// frame rate inside one publish (new sequence headers on the same
// connection). HLS must cut at the change with EXT-X-DISCONTINUITY and, in
// fMP4, a new init segment (EXT-X-MAP) for the segment holding the new
// frames; every segment must decode with zero errors with its init (ffmpeg).
import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { FsStorage } from "../../../media/storage/mod.ts";
import { ffprobe, missing, tempDir } from "../../_tools.ts";
import { decodeErrors, switchedStream } from "../../interop/_media.ts";

const FIRST = { width: 320, height: 240, fps: 30, seconds: 3 };
const SECOND = { width: 640, height: 360, fps: 60, seconds: 3, toneHz: 880 };

for (
  const [format, partTargetMs] of [
    ["fmp4", undefined],
    ["fmp4", 334],
    ["ts", undefined],
    ["ts", 334],
  ] as const
) {
  Deno.test({
    name: `HLS ${format}${
      partTargetMs ? " LL" : ""
    }: a mid-publish 320x240@30 → 640x360@60 switch cuts with DISCONTINUITY${
      format === "fmp4" ? " and a new EXT-X-MAP" : ""
    }; every segment decodes cleanly`,
    ignore: missing("ffmpeg", "ffprobe"),
    async fn() {
      const { frames, switchMs } = await switchedStream(FIRST, SECOND);
      await using dir = await tempDir();
      const hls = new HlsSegmenter({
        storage: new FsStorage({ root: dir.path }),
        prefix: "live/sw",
        format,
        targetDurationMs: 2000,
        ...(partTargetMs ? { partTargetMs } : {}),
        playlistType: "event",
      });
      for (const frame of frames) await hls.push(frame);
      await hls.end();
      const base = `${dir.path}/live/sw`;
      const playlist = HLS.parse(
        await Deno.readTextFile(`${base}/index.m3u8`),
      ) as HLS.types.MediaPlaylist;
      const segments = playlist.segments;
      const cut = segments.findIndex((s) => s.discontinuity);
      assert.ok(cut > 0, "one segment starts with EXT-X-DISCONTINUITY");
      assert.equal(
        segments.filter((s) => s.discontinuity).length,
        1,
        "exactly one discontinuity",
      );
      // The segments before the cut end at the switch; the cut segment
      // starts at it.
      const before = segments.slice(0, cut).reduce((t, s) => t + s.duration, 0);
      assert.ok(
        Math.abs(before - switchMs / 1000) < 0.1,
        `segments before the switch last ${before} s, switch at ${switchMs} ms`,
      );
      if (format === "fmp4") {
        assert.equal(segments[cut - 1]!.map?.uri, "init.mp4");
        assert.equal(segments[cut]!.map?.uri, "init1.mp4");
      }
      for (const [i, segment] of segments.entries()) {
        let input = `${base}/${segment.uri}`;
        if (format === "fmp4") {
          const init = await Deno.readFile(`${base}/${segment.map!.uri}`);
          const media = await Deno.readFile(input);
          input = `${dir.path}/joined${i}.mp4`;
          const joined = new Uint8Array(init.length + media.length);
          joined.set(init);
          joined.set(media, init.length);
          await Deno.writeFile(input, joined);
        }
        assert.equal(await decodeErrors(input), "", `${segment.uri} decodes`);
        const probe = await ffprobe(input);
        const video = probe.streams.find((s) => s.codec_type === "video")!;
        const expected = i < cut ? FIRST : SECOND;
        assert.equal(video.width, expected.width, segment.uri);
        assert.equal(video.height, expected.height, segment.uri);
      }
      if (format === "ts") {
        // ffmpeg's HLS client over the whole playlist, across the switch.
        assert.equal(await decodeErrors(`${base}/index.m3u8`), "");
      }
    },
  });
}
