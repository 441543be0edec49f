// Publishers that claim a key and send nothing: the engine's idle reaper
// (idleTimeout, 1.5 s here) ends each stream, its connection is closed, the
// keys are free again, and a publishEnded audit record names every one.
import assert from "node:assert/strict";
import { idlePublishers } from "./_attacks.ts";
import { report, startHostileOrigin, waitFor, watchRtmp } from "./_origin.ts";

const N = Number(Deno.env.get("HOSTILE_IDLE_N") ?? 50);

Deno.test("hostile: idle publishers are reaped and their keys freed while a viewer watches", async () => {
  await using origin = await startHostileOrigin({
    idleTimeoutMs: 1_500,
    // keep RTMP's own idle timeout out of the way: the engine reaper acts
    rtmp: { idleTimeoutMs: 60_000 },
  });
  await using viewer = await watchRtmp(origin.rtmpUrl, origin.legit);
  viewer.meter.resetMax();
  const clients = await idlePublishers(origin, "squat", N);
  const claimed = origin.engine.streams().length;
  const start = performance.now();
  await waitFor(
    () => origin.engine.streams().length === 1,
    8_000,
    "idle streams reaped",
  );
  const reapedAfter = performance.now() - start;
  await waitFor(
    () => origin.rtmp.connectionCount === 2,
    3_000,
    "idle publishers disconnected",
  );
  for (const c of clients) await c.close();
  const ended = origin.audit.filter((e) =>
    e.type === "publishEnded" && e.key.startsWith("live/squat")
  );
  report(
    `idle publishers x${N}: ${claimed - 1} keys claimed, all reaped ${
      reapedAfter.toFixed(0)
    } ms after the last claim (idleTimeout 1500 ms), ${ended.length} publishEnded audits, ` +
      `viewer max gap ${viewer.meter.maxGapMs.toFixed(0)} ms`,
  );
  assert.equal(claimed, N + 1);
  assert.equal(ended.length, N);
  assert.ok(ended.every((e) => e.type === "publishEnded" && e.reason !== ""));
  // The keys are free again.
  const again = await idlePublishers(origin, "squat", 1);
  await again[0]!.close();
  assert.ok(viewer.meter.maxGapMs < 1_000);
  assert.equal(origin.engine.getStream(`live/${origin.legit}`)?.ended, false);
});
