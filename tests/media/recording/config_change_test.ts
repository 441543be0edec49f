// Issue 20, fault 2 (recording): a mid-publish switch 320x240@30 →
// 640x360@60 (new sequence headers on the same connection). mp4 starts a new
// file whose init describes the new configuration; FLV carries the new
// sequence headers in-band; HLS starts a new fragment set. Every output
// decodes with zero ffmpeg errors.
import assert from "node:assert/strict";
import {
  type RecordingEvent,
  RecordingSink,
} from "../../../media/recording/mod.ts";
import { FsStorage } from "../../../media/storage/mod.ts";
import { ffprobe, missing, tempDir } from "../../_tools.ts";
import { decodeErrors, switchedStream } from "../../interop/_media.ts";

const FIRST = { width: 320, height: 240, fps: 30, seconds: 3 };
const SECOND = { width: 640, height: 360, fps: 60, seconds: 3, toneHz: 880 };

async function record(
  root: string,
  format: "mp4" | "flv" | "hls-fmp4",
  key: string,
): Promise<RecordingEvent[]> {
  const { frames } = await switchedStream(FIRST, SECOND);
  const events: RecordingEvent[] = [];
  const sink = new RecordingSink({
    storage: new FsStorage({ root }),
    key,
    format,
    onEvent: (e) => events.push(e),
  });
  for (const frame of frames) await sink.push(frame);
  await sink.end();
  return events;
}

async function videoSize(path: string): Promise<[number, number]> {
  const probe = await ffprobe(path);
  const video = probe.streams.find((s) => s.codec_type === "video")!;
  return [Number(video.width), Number(video.height)];
}

Deno.test({
  name:
    "RecordingSink mp4: a config change closes the file and starts cam-1.mp4; both decode cleanly",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const events = await record(dir.path, "mp4", "rec/cam.mp4");
    const split = events.filter((e) => e.type === "split");
    assert.deepEqual(split, [{
      type: "split",
      key: "rec/cam-1.mp4",
      previous: "rec/cam.mp4",
    }]);
    const finalized = events.filter((e) => e.type === "finalized")
      .map((e) => e.key);
    assert.deepEqual(finalized, ["rec/cam.mp4", "rec/cam-1.mp4"]);
    for (
      const [file, size] of [
        ["cam.mp4", [320, 240]],
        ["cam-1.mp4", [640, 360]],
      ] as const
    ) {
      const path = `${dir.path}/rec/${file}`;
      assert.equal(await decodeErrors(path), "", `${file} decodes`);
      assert.deepEqual(await videoSize(path), size);
      const probe = await ffprobe(path);
      assert.ok(Number(probe.format.duration) > 2.5, `${file} duration`);
    }
  },
});

Deno.test({
  name:
    "RecordingSink flv: the new sequence headers stay in-band and the file decodes cleanly",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const events = await record(dir.path, "flv", "rec/cam.flv");
    assert.equal(events.filter((e) => e.type === "split").length, 0);
    const path = `${dir.path}/rec/cam.flv`;
    assert.equal(await decodeErrors(path), "");
  },
});

Deno.test({
  name:
    "RecordingSink hls-fmp4: a new fragment set (DISCONTINUITY, init1.mp4) at the change",
  ignore: missing("ffmpeg"),
  async fn() {
    await using dir = await tempDir();
    await record(dir.path, "hls-fmp4", "rec/cam");
    const playlist = await Deno.readTextFile(`${dir.path}/rec/cam/index.m3u8`);
    assert.match(
      playlist,
      /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init1\.mp4"/,
    );
    assert.match(playlist, /#EXT-X-ENDLIST/);
  },
});
