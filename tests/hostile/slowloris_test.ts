// Slowloris: clients that trickle one byte every 200 ms. The RTMP handshake
// timeout (1 s here) closes a trickled handshake whatever the trickle rate.
// HTTP header trickling is left to Deno.serve and RTMP trickling after
// `connect` to the connection caps: the tests measure what happens (figures
// printed; long version in bench/hostile.ts) and assert that the legit
// viewers never stall and that a silent client is closed by the idle timeout.
import assert from "node:assert/strict";
import {
  httpHeaderSlowloris,
  rtmpHandshakeSlowloris,
  rtmpMessageSlowloris,
} from "./_attacks.ts";
import { rawConnected } from "./_rtmp_raw.ts";
import {
  closedWithin,
  type HostileOrigin,
  report,
  startHostileOrigin,
  watchFlv,
  watchRtmp,
} from "./_origin.ts";

const CLIENTS = Number(Deno.env.get("HOSTILE_SLOW_N") ?? 50);
const MAX_GAP_MS = 1_000;

async function withViewers(
  origin: HostileOrigin,
  attack: () => Promise<void>,
): Promise<{ rtmpGap: number; flvGap: number }> {
  await using rtmpViewer = await watchRtmp(origin.rtmpUrl, origin.legit);
  await using flvViewer = await watchFlv(
    `${origin.httpBase}/live/${origin.legit}.flv`,
  );
  rtmpViewer.meter.resetMax();
  flvViewer.meter.resetMax();
  await attack();
  return {
    rtmpGap: rtmpViewer.meter.maxGapMs,
    flvGap: flvViewer.meter.maxGapMs,
  };
}

Deno.test("hostile: a byte-per-200 ms RTMP handshake is closed by the handshake timeout", async () => {
  await using origin = await startHostileOrigin({
    rtmp: { handshakeTimeoutMs: 1_000 },
  });
  const errorsBefore = origin.handlerErrors.length;
  const auditBefore = origin.audit.length;
  let closes = { clients: 0, stillOpen: 0, slowestCloseMs: 0 };
  const gaps = await withViewers(origin, async () => {
    closes = await rtmpHandshakeSlowloris(origin, CLIENTS, 5_000);
  });
  report(
    `rtmp handshake slowloris x${CLIENTS}: closed after ≤ ${
      closes.slowestCloseMs.toFixed(0)
    } ms (timeout 1000 ms); viewer max gap rtmp ${
      gaps.rtmpGap.toFixed(0)
    } / flv ${gaps.flvGap.toFixed(0)} ms`,
  );
  assert.equal(closes.stillOpen, 0);
  assert.ok(closes.slowestCloseMs < 2_500);
  const timeouts = origin.handlerErrors.slice(errorsBefore)
    .filter((m) => /handshake/i.test(m)).length;
  assert.equal(timeouts, CLIENTS, "one handshake-timeout event per client");
  const audited =
    origin.audit.slice(auditBefore).filter((e) =>
      e.type === "clientDropped" && e.code === "Timeout"
    ).length;
  assert.equal(audited, CLIENTS, "a clientDropped (Timeout) audit each");
  assert.equal(origin.rtmp.connectionCount, 2); // publisher + viewer
  assert.ok(gaps.rtmpGap < MAX_GAP_MS && gaps.flvGap < MAX_GAP_MS);
});

Deno.test("hostile: an HTTP header slowloris is closed by the head deadline", async () => {
  await using origin = await startHostileOrigin({
    http: { headerTimeoutMs: 1_000 },
  });
  const auditBefore = origin.audit.length;
  let closes = { clients: 0, stillOpen: 0, slowestCloseMs: 0 };
  const gaps = await withViewers(origin, async () => {
    closes = await httpHeaderSlowloris(origin, CLIENTS, 5_000);
  });
  report(
    `http header slowloris x${CLIENTS}: closed after ≤ ${
      closes.slowestCloseMs.toFixed(0)
    } ms (headerTimeoutMs 1000); viewer max gap rtmp ${
      gaps.rtmpGap.toFixed(0)
    } / flv ${gaps.flvGap.toFixed(0)} ms`,
  );
  assert.equal(closes.stillOpen, 0, "every trickling client is closed");
  assert.ok(closes.slowestCloseMs < 2_500, `${closes.slowestCloseMs} ms`);
  const audited =
    origin.audit.slice(auditBefore).filter((e) =>
      e.type === "clientDropped" && e.code === "Timeout" &&
      e.protocol === "http"
    ).length;
  assert.equal(audited, CLIENTS, "a clientDropped (Timeout) audit each");
  assert.equal(origin.http.connectionCount, 1); // the FLV viewer
  assert.ok(gaps.rtmpGap < MAX_GAP_MS && gaps.flvGap < MAX_GAP_MS);
});

Deno.test('hostile: HTTP header slowloris against Deno.serve (server: "deno", measured) leaves viewers unaffected', async () => {
  await using origin = await startHostileOrigin({ http: { server: "deno" } });
  const patienceMs = Number(Deno.env.get("HOSTILE_SLOW_MS") ?? 3_000);
  let closes = { clients: 0, stillOpen: 0, slowestCloseMs: 0 };
  const gaps = await withViewers(origin, async () => {
    closes = await httpHeaderSlowloris(origin, CLIENTS, patienceMs);
  });
  report(
    `http header slowloris x${CLIENTS} on Deno.serve: ${closes.stillOpen} still open after ${patienceMs} ms ` +
      `(no header timeout option there); viewer max gap rtmp ${
        gaps.rtmpGap.toFixed(0)
      } / flv ${gaps.flvGap.toFixed(0)} ms`,
  );
  assert.ok(gaps.rtmpGap < MAX_GAP_MS && gaps.flvGap < MAX_GAP_MS);
});

Deno.test("hostile: RTMP trickle after connect and a silent client both hit the idle timeout", async () => {
  await using origin = await startHostileOrigin({
    rtmp: { idleTimeoutMs: 1_000 },
  });
  let closes = { clients: 0, stillOpen: 0, slowestCloseMs: 0 };
  const gaps = await withViewers(origin, async () => {
    closes = await rtmpMessageSlowloris(origin, 10, 3_000);
  });
  report(
    `rtmp post-connect trickle x10: ${closes.stillOpen} still open after 3000 ms ` +
      `(idleTimeoutMs 1000 counts only complete messages as activity); viewer max gap rtmp ${
        gaps.rtmpGap.toFixed(0)
      } / flv ${gaps.flvGap.toFixed(0)} ms`,
  );
  assert.ok(gaps.rtmpGap < MAX_GAP_MS && gaps.flvGap < MAX_GAP_MS);
  assert.equal(
    closes.stillOpen,
    0,
    "trickling a message that never completes is idleness",
  );
  assert.ok(
    closes.slowestCloseMs < 3_000,
    `closed after ${closes.slowestCloseMs} ms`,
  );
  const silent = await rawConnected(origin.rtmpPort);
  const t = await closedWithin(silent, 4_000);
  assert.ok(t !== null && t < 3_000, `silent client closed after ${t} ms`);
});
