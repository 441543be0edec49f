import assert from "node:assert/strict";
import { StreamError, StreamKey } from "../../mod.ts";
import {
  type ClusterRelayEvent,
  RedisClusterRelay,
} from "../../cluster/mod.ts";
import { missing } from "../_tools.ts";
import { startRedis } from "./_redis.ts";

const ignore = missing("redis-server");
const cam = StreamKey.parse("live/cam");

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 8_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test({
  name: "redis relay: announce → locate → withdraw against a real redis-server",
  ignore,
  async fn() {
    const redis = await startRedis();
    try {
      await using origin = await RedisClusterRelay.connect({ url: redis.url });
      await using edge = await RedisClusterRelay.connect({ url: redis.url });
      assert.equal(await edge.locate(cam), null);
      await origin.announce(cam, "http://10.0.0.1:8080");
      assert.equal(await edge.locate(cam), "http://10.0.0.1:8080");
      await origin.withdraw(cam);
      assert.equal(await edge.locate(cam), null);
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "redis relay: a withdraw never erases a newer origin's announcement; the TTL ends a dead origin's",
  ignore,
  async fn() {
    const redis = await startRedis();
    try {
      await using a = await RedisClusterRelay.connect({
        url: redis.url,
        ttlMs: 600,
        heartbeatMs: 200,
      });
      await using b = await RedisClusterRelay.connect({ url: redis.url });
      await a.announce(cam, "http://a:8080");
      await b.announce(cam, "http://b:8080"); // b took the stream over
      await a.withdraw(cam);
      assert.equal(await b.locate(cam), "http://b:8080");

      // An origin that dies without withdrawing (SIGKILL): its heartbeat
      // stops and the TTL ends the entry.
      const key = StreamKey.parse("live/other");
      const script = `
        import { RedisClusterRelay } from "${new URL(
        "../../cluster/mod.ts",
        import.meta.url,
      )}";
        import { StreamKey } from "${new URL("../../mod.ts", import.meta.url)}";
        const r = await RedisClusterRelay.connect({ url: "${redis.url}", ttlMs: 400, heartbeatMs: 100 });
        await r.announce(StreamKey.parse("live/other"), "http://dead:8080");
        console.log("announced");
        await new Promise(() => {});`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "-"],
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(script));
      await w.close();
      const lines = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let text = "";
      while (!text.includes("announced")) {
        const { value, done } = await lines.read();
        if (done) break;
        text += value;
      }
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(
        await b.locate(key),
        "http://dead:8080",
        "heartbeats keep it alive",
      );
      child.kill("SIGKILL");
      await child.status;
      await lines.cancel();
      await until(
        "TTL expiry",
        async () => (await b.locate(key)) === null,
        3_000,
      );
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "redis relay: Redis stopped → lookups fail fast with Unavailable, streams re-announced when it returns",
  ignore,
  async fn() {
    const redis = await startRedis();
    const events: ClusterRelayEvent[] = [];
    await using origin = await RedisClusterRelay.connect({
      url: redis.url,
      ttlMs: 1_500,
      heartbeatMs: 300,
      commandTimeoutMs: 500,
      onEvent: (e) => events.push(e),
    });
    await using edge = await RedisClusterRelay.connect({
      url: redis.url,
      commandTimeoutMs: 500,
    });
    await origin.announce(cam, "http://o:8080");
    await redis.stop();
    await until("disconnect seen", () => !edge.healthy);
    const started = Date.now();
    const error = await edge.locate(cam).then(() => null, (e) => e);
    assert.ok(error instanceof StreamError, String(error));
    assert.equal(error.code, "Unavailable");
    assert.ok(Date.now() - started < 1_000, "fails fast, no queue");
    // A new announce while Redis is down is remembered, not buffered per attempt.
    const other = StreamKey.parse("live/while-down");
    await origin.announce(other, "http://o:8080").catch(() => {});
    assert.equal(origin.announced, 2);

    const again = await startRedis(redis.port); // empty: the outage lost everything
    try {
      await until("edge reconnects", () => edge.healthy);
      await until(
        "re-announced after the outage",
        async () =>
          (await edge.locate(other).catch(() => null)) === "http://o:8080",
      );
      assert.equal(await edge.locate(cam), "http://o:8080");
      assert.ok(events.some((e) => e.type === "disconnected"));
      assert.ok(events.some((e) => e.type === "connected"));
    } finally {
      await again.stop();
    }
  },
});

Deno.test({
  name:
    "redis relay: connect to a closed port rejects with Unavailable in bounded time",
  ignore,
  async fn() {
    const started = Date.now();
    const error = await RedisClusterRelay.connect({
      url: "redis://127.0.0.1:1",
      commandTimeoutMs: 500,
    }).then(() => null, (e) => e);
    assert.ok(error instanceof StreamError);
    assert.equal(error.code, "Unavailable");
    assert.ok(Date.now() - started < 2_000);
  },
});
