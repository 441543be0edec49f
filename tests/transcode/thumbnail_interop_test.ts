// Thumbnails through the HTTP app's route seam (createHttpApp extraRoutes):
// GET /live/cam/thumbnail.jpg answers a JPEG that ffprobe reads as mjpeg at
// the stream's size (never above 360 lines), one ffmpeg run per interval
// (a second request is served from the cache), 404 for an unknown stream.
import assert from "node:assert/strict";
import { createHttpApp } from "../../protocols/http/mod.ts";
import { Engine } from "../../src/mod.ts";
import { ThumbnailRoutes } from "../../transcode/mod.ts";
import { ffprobe, missing, tempDir } from "../_tools.ts";
import { publishPaced, sourceFrames } from "./_source.ts";

Deno.test({
  name:
    "transcode: GET /live/cam/thumbnail.jpg is the latest keyframe as a JPEG (cached per interval)",
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-thumb-");
  const frames = await sourceFrames(dir.path, {
    width: 640,
    height: 360,
    seconds: 2,
  });
  await using engine = Engine.builder().build();
  const thumbnails = new ThumbnailRoutes({ host: engine, maxHeight: 240 });
  const app = createHttpApp(engine, { extraRoutes: [thumbnails] });
  const publishing = publishPaced(engine, "live/cam", frames);
  await new Promise((r) => setTimeout(r, 300));
  const res = await app.request("/live/cam/thumbnail.jpg");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "image/jpeg");
  const jpeg = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  const path = `${dir.path}/t.jpg`;
  await Deno.writeFile(path, jpeg);
  const probe = await ffprobe(path);
  assert.equal(probe.streams[0]!.codec_name, "mjpeg");
  assert.equal(
    `${probe.streams[0]!.width}x${probe.streams[0]!.height}`,
    "426x240",
  );
  const again = await app.request("/live/cam/thumbnail.jpg");
  assert.equal(again.status, 200);
  assert.deepEqual(new Uint8Array(await again.arrayBuffer()), jpeg);
  assert.equal(thumbnails.runs, 1);
  assert.equal((await app.request("/live/none/thumbnail.jpg")).status, 404);
  await publishing;
});
