// Engine shutdown with a rendition running: the pipeline drains within the
// deadline, the ffmpeg process is gone and the service has no job left.
import assert from "node:assert/strict";
import { Engine } from "../../src/mod.ts";
import { parseLadder, TranscodeService } from "../../transcode/mod.ts";
import { missing, tempDir } from "../_tools.ts";
import { publishPaced, sourceFrames, until } from "./_source.ts";

// /proc/<pid> is read with `cat` (Deno asks for --allow-all to read it).
function alive(pid: number): boolean {
  const out = new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return out.success &&
    !new TextDecoder().decode(out.stdout).includes(") Z ");
}

Deno.test({
  name:
    "transcode: engine shutdown stops the renditions' ffmpeg within the deadline",
  ignore: missing("ffmpeg"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-shutdown-");
  const frames = await sourceFrames(dir.path, {
    width: 640,
    height: 360,
    seconds: 20,
  });
  const engine = Engine.builder().build();
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("240p") },
    preset: "ultrafast",
  });
  const stop = new AbortController();
  const publishing = publishPaced(engine, "live/cam", frames, {
    signal: stop.signal,
  }).catch(() => {});
  const pid = await until(
    () =>
      service.stats("live/cam~240p")?.framesOut
        ? service.stats("live/cam~240p")!.pid
        : undefined,
    20_000,
  );
  assert.ok(pid && alive(pid));
  const t0 = performance.now();
  await engine.shutdown({ deadlineMs: 2000 });
  stop.abort();
  await publishing;
  await until(() => service.list().length === 0, 5000);
  await until(() => !alive(pid!) || null, 5000);
  assert.ok(performance.now() - t0 < 8000);
});
