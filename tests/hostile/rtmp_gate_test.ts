// The ConnectionGate wired into RtmpHandler (`gate`): a host over its per-IP
// cap or accept rate is refused before the server spends a read buffer on it
// (closed at once, a handlerError and a clientDropped audit record each), and
// the viewers that were already watching never notice.
import assert from "node:assert/strict";
import { ConnectionGate } from "../../mod.ts";
import {
  closedWithin,
  report,
  sleep,
  startHostileOrigin,
  watchRtmp,
} from "./_origin.ts";

Deno.test("hostile: RTMP per-IP cap refuses a connection flood at accept; viewers unaffected", async () => {
  const gate = new ConnectionGate({
    maxConnections: 1_000,
    maxPerIp: 8,
    acceptsPerSecond: 1_000,
    acceptBurst: 1_000,
  });
  await using origin = await startHostileOrigin({ rtmp: { gate } });
  await using viewer = await watchRtmp(origin.rtmpUrl, origin.legit);
  viewer.meter.resetMax();
  assert.equal(gate.active, 2); // publisher + viewer
  const errorsBefore = origin.handlerErrors.length;
  const droppedBefore = origin.dropped();
  const conns = await Promise.all(
    Array.from(
      { length: 100 },
      () => Deno.connect({ hostname: "127.0.0.1", port: origin.rtmpPort }),
    ),
  );
  const times = await Promise.all(conns.map((c) => closedWithin(c, 500)));
  const refused = times.filter((t) => t !== null).length;
  report(
    `rtmp gate maxPerIp 8: 100 silent connections → ${refused} refused at accept, ` +
      `stats ${JSON.stringify(gate.stats)}, viewer max gap ${
        viewer.meter.maxGapMs.toFixed(0)
      } ms`,
  );
  // 6 fit beside the publisher and the viewer; they stay (until the handshake timeout).
  assert.equal(refused, 94);
  assert.equal(gate.stats.maxPerIp, 94);
  const refusals = origin.handlerErrors.slice(errorsBefore)
    .filter((m) => /maxPerIp/.test(m));
  assert.equal(refusals.length, 94);
  assert.equal(origin.dropped() - droppedBefore, 94);
  await sleep(1_500); // the 6 admitted silent sockets hit the handshake timeout
  assert.equal(gate.active, 2);
  assert.ok(viewer.meter.maxGapMs < 1_000);
});

Deno.test("hostile: RTMP accept rate per IP cuts a reconnect storm", async () => {
  const gate = new ConnectionGate({
    maxConnections: 1_000,
    acceptsPerSecond: 10,
    acceptBurst: 20,
  });
  await using origin = await startHostileOrigin({ rtmp: { gate } });
  // publisher took one token; 200 quick reconnects get ~19 more
  let closedFast = 0;
  for (let i = 0; i < 200; i++) {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: origin.rtmpPort,
    });
    const t = await closedWithin(conn, 50);
    if (t !== null) closedFast++;
  }
  report(
    `rtmp gate 10/s burst 20: 200 reconnects → ${gate.stats.rateLimited} rate-limited, ${closedFast} closed within 50 ms`,
  );
  assert.ok(gate.stats.rateLimited >= 150, `${gate.stats.rateLimited}`);
  assert.ok(closedFast >= gate.stats.rateLimited);
});
