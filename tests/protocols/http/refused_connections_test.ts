import assert from "node:assert/strict";
import { Engine } from "../../../src/mod.ts";
import {
  createHttpApp,
  HttpHandler,
  PrometheusObserver,
} from "../../../protocols/http/mod.ts";
import { RtmpHandler } from "../../../protocols/rtmp/mod.ts";
import { DASHBOARD_HTML } from "../../../protocols/http/ops/_dashboard_page.ts";

/** Connect and wait until the server closes the socket (or `ms` pass). */
async function refusedWithin(port: number, ms: number): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), ms);
  try {
    return (await conn.read(new Uint8Array(16))) === null;
  } catch {
    return false; // closed by our timer: not refused
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

Deno.test("refused connections are counted in /metrics by protocol and reason and reported by /api/streams", async () => {
  const metrics = new PrometheusObserver();
  await using engine = Engine.builder().observer(metrics).audit(metrics)
    .build();
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    dashboard: false,
    maxConnections: 1,
    metrics,
  });
  const rtmp = new RtmpHandler({
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 1,
  });
  const controller = new AbortController();
  const served = engine.serve([http, rtmp], controller.signal);
  const httpPort = (await http.listening).port;
  const rtmpPort = (await rtmp.listening).port;
  const held = [
    await Deno.connect({ hostname: "127.0.0.1", port: httpPort }),
    await Deno.connect({ hostname: "127.0.0.1", port: rtmpPort }),
  ];
  try {
    await new Promise((r) => setTimeout(r, 100)); // both admitted
    assert.ok(await refusedWithin(httpPort, 3000));
    assert.ok(await refusedWithin(httpPort, 3000));
    assert.ok(await refusedWithin(rtmpPort, 3000));
    // the same observer, read in-process (the real listener is full)
    const app = createHttpApp(engine, { metrics, dashboard: false });
    const text = await (await app.request("/metrics")).text();
    assert.match(
      text,
      /arcly_connections_refused_total\{protocol="http",reason="maxConnections"\} 2/,
    );
    assert.match(
      text,
      /arcly_connections_refused_total\{protocol="rtmp",reason="maxConnections"\} 1/,
    );
    assert.equal(metrics.refusedConnections, 3);
    const api = await (await app.request("/api/streams")).json();
    assert.equal(api.refusedConnections, 3);
    assert.deepEqual(api.streams, []);
  } finally {
    for (const c of held) c.close();
    controller.abort();
    await served;
  }
});

Deno.test("/api/streams has no refusedConnections without metrics; the dashboard shows the counter when present", async () => {
  await using engine = Engine.builder().build();
  const app = createHttpApp(engine, { dashboard: false });
  const api = await (await app.request("/api/streams")).json();
  assert.equal("refusedConnections" in api, false);
  // v2 reads /api/v1/server's connections.refused, v1's field as a fallback.
  assert.match(DASHBOARD_HTML, /legacy\.refusedConnections/);
  assert.match(DASHBOARD_HTML, /c\.refused \+ " refused"/);
});
