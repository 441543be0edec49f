// Garbage instead of protocol: many connections that send random bytes to the
// RTMP and HTTP ports. Each is closed by the server (RTMP: a handlerError per
// client), nothing stays open, memory stays flat, and the legit viewers never
// stall. `HOSTILE_N` raises the count (bench/hostile.ts runs 1,000).
import assert from "node:assert/strict";
import { garbageFlood } from "./_attacks.ts";
import {
  report,
  rssMiB,
  startHostileOrigin,
  watchFlv,
  watchRtmp,
} from "./_origin.ts";

const N = Number(Deno.env.get("HOSTILE_N") ?? 200);
const MAX_GAP_MS = 1_000;

Deno.test("hostile: garbage on the RTMP and HTTP ports is dropped while a viewer watches", async () => {
  await using origin = await startHostileOrigin();
  await using rtmpViewer = await watchRtmp(origin.rtmpUrl, origin.legit);
  await using flvViewer = await watchFlv(
    `${origin.httpBase}/live/${origin.legit}.flv`,
  );
  const rssBefore = rssMiB();
  rtmpViewer.meter.resetMax();
  flvViewer.meter.resetMax();
  const errorsBefore = origin.handlerErrors.length;
  const droppedBefore = origin.dropped();

  const { rtmp, http } = await garbageFlood(origin, N);

  report(
    `garbage x${N}: rtmp closed max ${rtmp.slowestCloseMs.toFixed(0)} ms, ` +
      `http closed max ${http.slowestCloseMs.toFixed(0)} ms, ` +
      `rss ${rssBefore.toFixed(1)} → ${rssMiB().toFixed(1)} MiB, ` +
      `viewer max gap rtmp ${rtmpViewer.meter.maxGapMs.toFixed(0)} ms / flv ${
        flvViewer.meter.maxGapMs.toFixed(0)
      } ms`,
  );
  assert.equal(rtmp.stillOpen, 0, "every RTMP garbage client is closed");
  assert.equal(http.stillOpen, 0, "every HTTP garbage client is closed");
  // RTMP: one handlerError per garbage client (the trail of dropped clients).
  const drops = origin.handlerErrors.length - errorsBefore;
  assert.equal(drops, N, `handlerErrors ${drops}`);
  // One clientDropped audit per garbage client on each port (HTTP: "bad
  // request head", answered 400 and closed by the origin's server).
  assert.equal(
    origin.dropped() - droppedBefore,
    2 * N,
    "a clientDropped audit each",
  );
  // Only the publisher and the RTMP viewer remain.
  assert.equal(origin.rtmp.connectionCount, 2);
  assert.ok(rtmpViewer.meter.maxGapMs < MAX_GAP_MS);
  assert.ok(flvViewer.meter.maxGapMs < MAX_GAP_MS);
  assert.ok(rssMiB() - rssBefore < 64, "memory grows by less than 64 MiB");
});
