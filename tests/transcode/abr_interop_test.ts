// ABR renditions against the real ffmpeg: a 720p source with a 480p,240p
// ladder gets two derived streams (live/cam~480p, live/cam~240p) whose
// frames, remuxed with our FLV writer, probe at their resolution in
// ffprobe; keyframes sit at the very PTS of the source's keyframes; the
// source's own viewers are untouched.
import assert from "node:assert/strict";
import { encodeFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { Engine } from "../../src/mod.ts";
import {
  parseLadder,
  type TranscodeEvent,
  TranscodeService,
} from "../../transcode/mod.ts";
import { ffprobe, missing, tempDir } from "../_tools.ts";
import { collect, publishPaced, sourceFrames } from "./_source.ts";

const keyframePts = (frames: MediaFrame[]) =>
  frames.filter((f) => f.kind === "video" && f.keyframe && !f.config).map((f) =>
    f.pts
  );

Deno.test({
  name:
    "transcode: 720p source + ladder 480p,240p → two derived renditions at their size, keyframes at the source's PTS",
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-abr-");
  // 8 s: a loaded CI host can take 2-3 s to start the encoders, and the test
  // wants at least 4 aligned keyframes per rendition.
  const frames = await sourceFrames(dir.path, { seconds: 8 });
  await using engine = Engine.builder().build();
  const events: TranscodeEvent[] = [];
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("720p,480p,240p") },
    preset: "ultrafast",
    // A loaded CI host can run the encoders below real time for seconds;
    // the default 3 s stdin bound would then drop a GOP (seen at load ~10),
    // which this alignment test is not about.
    maxQueueMs: 20_000,
    onEvent: (e) => events.push(e),
  });
  const collected = new Map<string, Promise<MediaFrame[]>>();
  engine.events.on("published", (e) => {
    const handle = engine.getStream(e.key);
    if (handle) collected.set(e.key, collect(handle));
  });
  await publishPaced(engine, "live/cam", frames, { speed: 1 });
  const source = await collected.get("live/cam")!;
  assert.deepEqual([...collected.keys()].sort(), [
    "live/cam",
    "live/cam~240p",
    "live/cam~480p",
  ]);
  assert.deepEqual(service.renditions("live/cam").map((r) => r.key), []); // source gone
  const srcKeys = keyframePts(source);
  assert.equal(srcKeys.length, 8);
  for (
    const [variant, w, h] of [["480p", 854, 480], ["240p", 426, 240]] as const
  ) {
    const out = await collected.get(`live/cam~${variant}`)!;
    const keys = keyframePts(out);
    assert.ok(keys.length >= 4, `${variant}: ${keys.length} keyframes`);
    // Every keyframe of the rendition is a keyframe of the source, at the same PTS.
    for (const k of keys) {
      assert.ok(
        srcKeys.includes(k),
        `${variant} keyframe ${k} not in ${srcKeys}`,
      );
    }
    // And every source keyframe after the rendition's first one is there too.
    assert.deepEqual(keys, srcKeys.filter((k) => k >= keys[0]!));
    const path = `${dir.path}/${variant}.flv`;
    await Deno.writeFile(path, encodeFlvFile(out));
    const probe = await ffprobe(path);
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    assert.equal(video.codec_name, "h264");
    assert.equal(`${video.width}x${video.height}`, `${w}x${h}`);
    assert.ok(
      probe.streams.some((s) =>
        s.codec_type === "audio" && s.codec_name === "aac"
      ),
    );
  }
  // Source viewers saw every published media frame.
  assert.equal(
    source.filter((f) => !f.config && f.kind !== "data").length,
    frames.filter((f) => !f.config && f.kind !== "data").length,
  );
  assert.ok(
    events.some((e) => e.type === "started" && e.key === "live/cam~480p"),
  );
  assert.ok(
    !events.some((e) => e.type === "restarting"),
    JSON.stringify(events),
  );
});
