// Clients that connect, start playing and never read: RTMP players (their
// client stops reading after one frame) and raw HTTP-FLV requests whose body
// is never read. The stream runs at ~4 MB/s so their socket buffers fill in
// seconds. The server holds at most one pending batch per stalled RTMP player,
// the kernel resyncs then evicts them (RTMP: socket closed, handlerError), and
// the legit viewers, reading the same shared bytes, never stall.
import assert from "node:assert/strict";
import { neverReadingFlv, neverReadingRtmp } from "./_attacks.ts";
import {
  report,
  rssMiB,
  sleep,
  startHostileOrigin,
  waitFor,
  watchFlv,
  watchRtmp,
} from "./_origin.ts";

const N = Number(Deno.env.get("HOSTILE_STALLED_N") ?? 10);
const FRAME_BYTES = 100_000;

Deno.test("hostile: players that never read are evicted; legit viewers keep every second", async () => {
  await using origin = await startHostileOrigin({
    frameBytes: FRAME_BYTES,
    app: { ringCapacity: 256, maxLagFrames: 128, stallTimeoutMs: 2_000 },
  });
  await using rtmpViewer = await watchRtmp(origin.rtmpUrl, origin.legit);
  await using flvViewer = await watchFlv(
    `${origin.httpBase}/live/${origin.legit}.flv`,
  );
  rtmpViewer.meter.resetMax();
  flvViewer.meter.resetMax();
  const rssBefore = rssMiB();
  const errorsBefore = origin.handlerErrors.length;
  const droppedBefore = origin.dropped();

  const stalled = [
    ...await neverReadingRtmp(origin, origin.legit, N),
    ...await neverReadingFlv(origin, origin.legit, N),
  ];
  let maxPending = 0;
  let rssPeak = rssBefore;
  const stream = origin.engine.getStream(`live/${origin.legit}`)!;
  const deadline = performance.now() + 14_000;
  // Stop once every never-reader is dropped (2 legit subscribers left).
  while (
    performance.now() < deadline &&
    (origin.rtmp.connectionCount > 2 || stream.subscriberCount > 2)
  ) {
    maxPending = Math.max(maxPending, origin.rtmp.pendingWriteBytes);
    rssPeak = Math.max(rssPeak, rssMiB());
    await sleep(100);
  }
  const evictions =
    origin.slowEvents.filter((e) => e.includes("subscriberEvicted")).length;
  const resyncs = origin.slowEvents.filter((e) => e.includes("lagResync"))
    .length;
  const rtmpLeft = origin.rtmp.connectionCount - 2;
  const subscribers = stream.subscriberCount;
  report(
    `never-read x${N} rtmp + x${N} http-flv at ~${
      (FRAME_BYTES * 25 * 1.12 / 1e6).toFixed(1)
    } MB/s: ` +
      `${evictions} evicted, ${resyncs} resyncs, ${rtmpLeft} rtmp still open, ${subscribers} subscribers left, ` +
      `server pending writes ≤ ${(maxPending / 1e6).toFixed(1)} MB, ` +
      `rss ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} MiB, ` +
      `viewer max gap rtmp ${rtmpViewer.meter.maxGapMs.toFixed(0)} / flv ${
        flvViewer.meter.maxGapMs.toFixed(0)
      } ms, viewer got ${(rtmpViewer.bytes() / 1e6).toFixed(0)} MB`,
  );
  for (const s of stalled) s.close();
  assert.equal(rtmpLeft, 0, "every stalled RTMP player was dropped");
  assert.ok(
    origin.handlerErrors.length - errorsBefore >= N,
    "a handlerError per dropped RTMP player",
  );
  assert.equal(subscribers, 2, "only the legit viewers stay subscribed");
  assert.ok(
    origin.dropped() - droppedBefore >= N,
    "a clientDropped audit per RTMP player",
  );
  assert.ok(evictions >= N, `evictions ${evictions}`);
  // At most one batch (a GOP at worst, ~2.8 MB here) pending per stalled player.
  assert.ok(maxPending < N * 4_000_000, `pending ${maxPending}`);
  assert.ok(rtmpViewer.meter.maxGapMs < 1_000);
  assert.ok(flvViewer.meter.maxGapMs < 1_000);
  await waitFor(() => origin.rtmp.connectionCount === 2, 3_000, "cleanup");
});
