// Issue 20, fault 5: Shaka Player transmuxes each TS LL-HLS part on its own
// and needs SPS/PPS in it. Every TS part, also one starting between
// keyframes, carries the parameter sets: ffprobe reads the picture size from
// the part alone.
import assert from "node:assert/strict";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { FsStorage } from "../../../media/storage/mod.ts";
import { ffprobe, missing, tempDir } from "../../_tools.ts";
import { decodeErrors, encodeClip } from "../../interop/_media.ts";

Deno.test({
  name: "TS LL-HLS: every part carries SPS/PPS (ffprobe sizes each part alone)",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    const frames = await encodeClip({
      width: 320,
      height: 240,
      fps: 30,
      seconds: 3,
    });
    await using dir = await tempDir();
    const parts: string[] = [];
    const hls = new HlsSegmenter({
      storage: new FsStorage({ root: dir.path }),
      prefix: "live/ts",
      format: "ts",
      targetDurationMs: 2000,
      partTargetMs: 334,
      playlistType: "event",
      onEvent: (e) => {
        if (e.type === "part") parts.push(e.key);
      },
    });
    for (const frame of frames) await hls.push(frame);
    await hls.end();
    assert.ok(parts.length >= 8, `${parts.length} parts`);
    for (const key of parts) {
      const probe = await ffprobe(`${dir.path}/${key}`);
      const video = probe.streams.find((s) => s.codec_type === "video");
      assert.equal(video?.width, 320, `${key}: picture size from its SPS`);
      assert.equal(video?.height, 240, key);
    }
    // The segments (parts concatenated) still decode cleanly as a whole.
    assert.equal(await decodeErrors(`${dir.path}/live/ts/index.m3u8`), "");
  },
});
