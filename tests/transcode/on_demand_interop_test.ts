// On-demand renditions through the kernel's on-demand seam: nothing runs at
// publish; a viewer playing live/cam~240p (engine.authorizePlay) starts
// one ffmpeg, a second viewer shares it, a rendition past maxTranscoders is
// refused with LimitExceeded, and the engine ends the rendition (and the
// service its ffmpeg) after the last viewer left plus the grace.
import assert from "node:assert/strict";
import { StreamError } from "../../media/stream_error.ts";
import { Engine } from "../../src/mod.ts";
import {
  parseLadder,
  type TranscodeEvent,
  TranscodeService,
} from "../../transcode/mod.ts";
import { missing, tempDir } from "../_tools.ts";
import { publishPaced, sourceFrames, until } from "./_source.ts";

Deno.test({
  name:
    "transcode: on-demand rendition starts with its first viewer, is shared, capped (LimitExceeded) and released after the grace",
  ignore: missing("ffmpeg"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-ondemand-");
  const frames = await sourceFrames(dir.path, {
    width: 640,
    height: 360,
    seconds: 8,
  });
  await using engine = new Engine({ onDemandGraceMs: 300 });
  const events: TranscodeEvent[] = [];
  await using service = new TranscodeService({
    host: engine,
    ladders: { "*": parseLadder("240p,180p") },
    mode: "on-demand",
    maxTranscoders: 1,
    preset: "ultrafast",
    onEvent: (e) => events.push(e),
  });
  const publishing = publishPaced(engine, "live/cam", frames);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(service.list(), []); // nothing at publish
  assert.deepEqual(service.renditions("live/cam").map((r) => r.key), [
    "live/cam~240p",
    "live/cam~180p",
  ]);
  const [a, b] = await Promise.all([
    engine.authorizePlay("live/cam~240p", { protocol: "test" }),
    engine.authorizePlay("live/cam~240p", { protocol: "test" }),
  ]);
  assert.equal(a, b);
  assert.equal(events.filter((e) => e.type === "started").length, 1);
  await assert.rejects(
    service.ensure("live/cam~180p"),
    (e: unknown) => e instanceof StreamError && e.code === "LimitExceeded",
  );
  assert.ok(events.some((e) => e.type === "refused"));
  // Stats per derived stream, also over HTTP.
  const api = service.routes();
  const one = await api.fetch(
    new Request("http://x/api/transcode/live/cam~240p"),
    {},
  );
  assert.equal(one!.status, 200);
  assert.equal((await one!.json()).variant, "240p");
  const all =
    await (await api.fetch(new Request("http://x/api/transcode"), {}))!.json();
  assert.deepEqual(all.transcoders.map((t: { key: string }) => t.key), [
    "live/cam~240p",
  ]);
  assert.equal(api.fetch(new Request("http://x/live/cam.flv"), {}), null);
  const viewer = a.subscribe();
  const first = await viewer.next();
  assert.ok(first);
  viewer.close();
  // No viewer left: the engine ends it after the grace; the job stops.
  await until(() => a.ended, 5000);
  await until(() => service.list().length === 0, 5000);
  assert.ok(
    events.some((e) => e.type === "stopped" && e.key === "live/cam~240p"),
  );
  engine.endPublish("live/cam");
  await publishing.catch(() => {});
});
