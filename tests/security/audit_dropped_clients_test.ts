// Every client the RTMP server refuses or drops leaves an audit record, and no
// record carries a secret from the URL.
import assert from "node:assert/strict";
import { type AuditEvent, Engine, TokenAuthenticator } from "../../mod.ts";
import { RtmpClient, RtmpHandler } from "../../protocols/rtmp/mod.ts";

async function until(
  what: string,
  ok: () => boolean,
  ms = 5000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("RTMP: refused and dropped clients are audited as clientDropped, without secrets", async () => {
  const records: AuditEvent[] = [];
  const engine = Engine.builder()
    .authenticator(new TokenAuthenticator({ publishToken: "top-secret-token" }))
    .audit({ record: (e) => void records.push(e) })
    .build();
  const rtmp = new RtmpHandler({
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 2,
    handshakeTimeoutMs: 2000,
  });
  const controller = new AbortController();
  const serving = engine.serve([rtmp], controller.signal);
  const { port } = await rtmp.listening;
  const conns: Deno.Conn[] = [];
  try {
    // 1. Garbage instead of a handshake: a protocol violation.
    const garbage = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(garbage);
    await garbage.write(new Uint8Array(1537).fill(0x42)); // C0 version 0x42 is not RTMP
    await until(
      "a clientDropped record for garbage",
      () => records.some((r) => r.type === "clientDropped"),
    );

    // 2. A publish with a wrong token: refused by the authenticator, audited without the token.
    const client = await RtmpClient.connect(
      `rtmp://127.0.0.1:${port}/live?token=wrong-token-value`,
    );
    await assert.rejects(client.publish("cam"));
    await client.close();
    await until(
      "an authRefused record",
      () => records.some((r) => r.type === "authRefused"),
    );

    // 3. Over maxConnections: refused at accept.
    const a = await Deno.connect({ hostname: "127.0.0.1", port });
    const b = await Deno.connect({ hostname: "127.0.0.1", port });
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(a, b, c);
    await until(
      "a refusal at accept",
      () =>
        records.some((r) =>
          r.type === "clientDropped" && r.code === "LimitExceeded"
        ),
    );

    const dropped = records.filter((r) => r.type === "clientDropped");
    assert.ok(
      dropped.some((r) => r.code === "Protocol" || r.code === "InvalidInput"),
      JSON.stringify(dropped),
    );
    for (const r of dropped) {
      assert.ok(
        r.type === "clientDropped" && r.remoteAddr?.startsWith("127.0.0.1"),
      );
    }
    const text = JSON.stringify(records);
    assert.ok(
      !text.includes("top-secret-token"),
      "the configured secret never reaches the audit log",
    );
    assert.ok(
      !text.includes("wrong-token-value"),
      "a presented token never reaches the audit log",
    );
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed by the server */ }
    }
    controller.abort();
    await serving;
  }
});

Deno.test("PrometheusObserver counts clientDropped audit records by protocol and code", async () => {
  const { PrometheusObserver } = await import("../../protocols/http/mod.ts");
  const metrics = new PrometheusObserver();
  metrics.record({
    type: "clientDropped",
    at: 0,
    protocol: "rtmp",
    remoteAddr: "127.0.0.1:1",
    code: "Timeout",
    reason: "idle",
  });
  assert.match(
    await metrics.metrics(),
    /arcly_clients_dropped_total\{protocol="rtmp",code="Timeout"\} 1/,
  );
});
