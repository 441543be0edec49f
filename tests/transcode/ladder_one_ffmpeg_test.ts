// A lazy 3-rung ladder runs ONE ffmpeg (one decode, three encoders, each
// output on its own socket): every rendition reports the same pid, the cap
// `maxTranscoders: 1` admits the whole ladder (it counts processes), each
// rendition probes at its size in ffprobe; killing that one ffmpeg restarts
// the whole ladder: every rendition gets a `restarting` event, ends and is
// published again, all on one new pid.
// The test task runs this file with an unscoped --allow-net (outputs on Unix
// sockets); with --allow-net=127.0.0.1 the outputs are loopback TCP.
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
import { collect, publishPaced, sourceFrames, until } from "./_source.ts";

const RUNGS = [["480p", 854, 480], ["360p", 640, 360], [
  "240p",
  426,
  240,
]] as const;

Deno.test({
  name:
    "transcode: a lazy 480p,360p,240p ladder is one ffmpeg (one pid, maxTranscoders 1), each rendition at its size; killing it restarts every rendition",
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-ladder1-");
  const frames = await sourceFrames(dir.path, { seconds: 9 });
  await using engine = Engine.builder().build();
  const events: TranscodeEvent[] = [];
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("480p,360p,240p") },
    preset: "ultrafast",
    maxTranscoders: 1,
    maxQueueMs: 20_000, // a loaded host: no GOP dropped (not this test's subject)
    restartBackoffMs: 300,
    onEvent: (e) => events.push(e),
  });
  const runs = new Map<string, Promise<MediaFrame[]>[]>();
  engine.events.on("published", (e) => {
    const handle = engine.getStream(e.key);
    if (!handle) return;
    const list = runs.get(e.key) ?? [];
    list.push(collect(handle));
    runs.set(e.key, list);
  });
  const keys = RUNGS.map(([v]) => `live/cam~${v}`);
  const publishing = publishPaced(engine, "live/cam", frames);
  // All three running and producing, on one process.
  const pid = await until(() => {
    const stats = keys.map((k) => service.stats(k));
    if (stats.some((s) => !s?.framesOut || s.pid === undefined)) return;
    return stats;
  }, 20_000).then((stats) => {
    assert.deepEqual(new Set(stats.map((s) => s!.pid)).size, 1);
    return stats[0]!.pid!;
  });
  assert.equal(service.list().length, 3);
  assert.equal(events.filter((e) => e.type === "refused").length, 0);
  const started = events.filter((e) => e.type === "started");
  assert.deepEqual(started.map((e) => e.key).sort(), [...keys].sort());
  assert.ok(started.every((e) => e.type === "started" && e.pid === pid));

  await new Promise((r) => setTimeout(r, 2000));
  Deno.kill(pid, "SIGKILL");
  // Every rendition restarts, on one new process.
  const pid2 = await until(() => {
    const stats = keys.map((k) => service.stats(k));
    const pids = new Set(stats.map((s) => s?.pid));
    const [only] = pids;
    return pids.size === 1 && only !== undefined && only !== pid &&
      stats.every((s) => s!.restarts === 1) && only;
  }, 10_000);
  assert.notEqual(pid2, pid);
  await publishing;
  await until(() => service.list().length === 0, 10_000);

  const restarting = events.filter((e) => e.type === "restarting");
  assert.deepEqual(restarting.map((e) => e.key).sort(), [...keys].sort());
  for (const [variant, w, h] of RUNGS) {
    const key = `live/cam~${variant}`;
    const published = runs.get(key) ?? [];
    assert.equal(published.length, 2, `${key} published ${published.length}x`);
    for (const [i, run] of published.entries()) {
      const out = await run;
      const path = `${dir.path}/${variant}_${i}.flv`;
      await Deno.writeFile(path, encodeFlvFile(out));
      const probe = await ffprobe(path);
      const video = probe.streams.find((s) => s.codec_type === "video")!;
      assert.equal(video.codec_name, "h264");
      assert.equal(`${video.width}x${video.height}`, `${w}x${h}`, path);
      assert.ok(
        probe.streams.some((s) =>
          s.codec_type === "audio" && s.codec_name === "aac"
        ),
        `${path}: the source's audio merged back`,
      );
    }
  }
  // The same segment PTS in every rendition of the first run: keyframes
  // only at the source's keyframes.
  const source = frames.filter((f) => f.kind === "video" && f.keyframe)
    .map((f) => f.pts);
  for (const key of keys) {
    const out = await runs.get(key)![0]!;
    const kf = out.filter((f) => f.kind === "video" && f.keyframe && !f.config)
      .map((f) => f.pts);
    assert.ok(kf.length >= 2, `${key}: ${kf.length} keyframes`);
    for (const k of kf) assert.ok(source.includes(k), `${key}: keyframe ${k}`);
  }
});

Deno.test({
  name:
    "transcode: a ladder whose ffmpeg exits before connecting its outputs is restarted with the backoff (every rendition told why)",
  ignore: missing("ffmpeg") || Deno.build.os !== "linux",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-ladder-false-");
  const frames = await sourceFrames(dir.path, { seconds: 2 });
  await using engine = Engine.builder().build();
  const events: TranscodeEvent[] = [];
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("360p,240p") },
    ffmpegPath: "false", // exits with code 1 at once
    restartBackoffMs: 100,
    onEvent: (e) => events.push(e),
  });
  const publishing = publishPaced(engine, "live/cam", frames);
  const restarting = await until(() => {
    const r = events.filter((e) => e.type === "restarting");
    return r.length >= 2 && r;
  });
  assert.deepEqual(restarting.slice(0, 2).map((e) => e.key).sort(), [
    "live/cam~240p",
    "live/cam~360p",
  ]);
  for (const e of restarting) {
    assert.ok(e.type === "restarting");
    assert.match(e.reason, /exited with code 1 before connecting/);
  }
  assert.equal(
    restarting[0]!.type === "restarting" && restarting[0]!.delayMs,
    100,
  );
  assert.equal(service.list().length, 2); // both still supervised, one process
  await publishing;
  await until(() => service.list().length === 0);
});
