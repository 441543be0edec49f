import assert from "node:assert/strict";
import {
  allOf,
  Engine,
  SignedUrlAuthenticator,
  signStreamUrl,
  StreamError,
  StreamKey,
  TokenAuthenticator,
  WebhookAuthenticator,
} from "../../mod.ts";

const key = StreamKey.parse("live/cam");
const SECRET = "test-secret-123";
const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;

function signed(
  action: "publish" | "play",
  expires: number,
  k = key,
): URLSearchParams {
  return signStreamUrl(k, { action, expires, secret: SECRET });
}

Deno.test("SignedUrlAuthenticator allows a valid signature for the same action and key only", () => {
  const auth = new SignedUrlAuthenticator({
    secret: SECRET,
    now: () => NOW_MS,
  });
  const query = signed("publish", NOW_S + 60);
  assert.deepEqual(
    auth.authorize({
      action: "publish",
      key,
      credentials: { protocol: "rtmp", query },
    }),
    {
      allowed: true,
    },
  );
  // Another action, another key, or another secret: refused.
  assert.equal(
    auth.authorize({
      action: "play",
      key,
      credentials: { protocol: "hls", query },
    }).allowed,
    false,
  );
  const other = StreamKey.parse("live/other");
  assert.equal(
    auth.authorize({
      action: "publish",
      key: other,
      credentials: { protocol: "rtmp", query },
    }).allowed,
    false,
  );
  const foreign = signStreamUrl(key, {
    action: "publish",
    expires: NOW_S + 60,
    secret: "another-secret",
  });
  assert.equal(
    auth.authorize({
      action: "publish",
      key,
      credentials: { protocol: "rtmp", query: foreign },
    }).allowed,
    false,
  );
});

Deno.test("SignedUrlAuthenticator refuses expired, tampered, missing and far-future signatures", () => {
  const auth = new SignedUrlAuthenticator({
    secret: SECRET,
    now: () => NOW_MS,
  });
  const cases: [string, URLSearchParams | undefined][] = [
    ["expired", signed("play", NOW_S - 1)],
    ["expires now", signed("play", NOW_S)],
    ["missing", undefined],
    ["no sig", new URLSearchParams({ expires: String(NOW_S + 10) })],
    ["far future", signed("play", NOW_S + 2 * 31_536_000)],
    ["malformed expiry", new URLSearchParams({ expires: "1e99", sig: "00" })],
  ];
  const tampered = signed("play", NOW_S + 60);
  tampered.set("expires", String(NOW_S + 6000)); // extend the expiry without re-signing
  cases.push(["extended expiry", tampered]);
  const flipped = signed("play", NOW_S + 60);
  const sig = flipped.get("sig")!;
  flipped.set("sig", (sig[0] === "a" ? "b" : "a") + sig.slice(1));
  cases.push(["flipped digit", flipped]);
  for (const [name, query] of cases) {
    const decision = auth.authorize({
      action: "play",
      key,
      credentials: query ? { protocol: "hls", query } : { protocol: "hls" },
    });
    assert.equal(decision.allowed, false, name);
    if (!decision.allowed) {
      assert.ok(
        !decision.reason.includes(SECRET),
        "the secret never leaks into reasons",
      );
    }
  }
});

Deno.test("SignedUrlAuthenticator protects only the configured actions", () => {
  const auth = new SignedUrlAuthenticator({
    secret: SECRET,
    actions: ["publish"],
    now: () => NOW_MS,
  });
  assert.equal(
    auth.authorize({ action: "play", key, credentials: { protocol: "hls" } })
      .allowed,
    true,
  );
  assert.equal(
    auth.authorize({
      action: "publish",
      key,
      credentials: { protocol: "rtmp" },
    }).allowed,
    false,
  );
  assert.throws(
    () => new SignedUrlAuthenticator({ secret: "short" }),
    TypeError,
  );
});

Deno.test("Engine with SignedUrlAuthenticator refuses an unsigned publish and leaves no state", async () => {
  const events: unknown[] = [];
  await using engine = Engine.builder()
    .authenticator(
      new SignedUrlAuthenticator({ secret: SECRET, now: () => NOW_MS }),
    )
    .audit({ record: (e) => void events.push(e) })
    .build();
  await assert.rejects(
    engine.startPublishAuthorized(key, { protocol: "rtmp" }),
    (e) => e instanceof StreamError && e.code === "Unauthorized",
  );
  assert.equal(engine.getStream(key), undefined);
  assert.equal(events.length, 1);
  assert.ok(!JSON.stringify(events).includes(SECRET));
  const handle = await engine.startPublishAuthorized(key, {
    protocol: "rtmp",
    query: signed("publish", NOW_S + 30),
  });
  assert.equal(handle.key.toString(), "live/cam");
});

Deno.test("TokenAuthenticator and allOf() combine checks", async () => {
  const auth = allOf([
    new TokenAuthenticator({ publishToken: "pub", playToken: "play" }),
    new SignedUrlAuthenticator({
      secret: SECRET,
      actions: ["publish"],
      now: () => NOW_MS,
    }),
  ]);
  const query = signed("publish", NOW_S + 60);
  query.set("token", "pub");
  assert.equal(
    (await auth.authorize({
      action: "publish",
      key,
      credentials: { protocol: "rtmp", query },
    })).allowed,
    true,
  );
  query.set("token", "pux");
  assert.equal(
    (await auth.authorize({
      action: "publish",
      key,
      credentials: { protocol: "rtmp", query },
    })).allowed,
    false,
  );
  assert.equal(
    (await auth.authorize({
      action: "play",
      key,
      credentials: { protocol: "hls", token: "play" },
    })).allowed,
    true,
  );
});

Deno.test("WebhookAuthenticator POSTs the request as JSON to a real HTTP hook; 2xx allows", async () => {
  const seen: Record<string, unknown>[] = [];
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, async (req) => {
    const body = await req.json() as Record<string, unknown>;
    seen.push(body);
    const query = body.query as Record<string, string>;
    if (query.token === "slow") await new Promise((r) => setTimeout(r, 400));
    return new Response(null, { status: query.token === "good" ? 200 : 403 });
  });
  const url = `http://127.0.0.1:${server.addr.port}/hook`;
  const auth = new WebhookAuthenticator({ url, timeoutMs: 150 });
  const ask = (token: string) =>
    auth.authorize({
      action: "publish",
      key,
      credentials: {
        protocol: "rtmp",
        remoteAddr: "127.0.0.1:5000",
        query: new URLSearchParams({ token }),
      },
    });
  assert.deepEqual(await ask("good"), { allowed: true });
  const refused = await ask("bad");
  assert.equal(refused.allowed, false);
  const slow = await ask("slow");
  assert.equal(
    slow.allowed,
    false,
    "a hook that does not answer in time refuses",
  );
  assert.deepEqual(seen[0], {
    action: "publish",
    app: "live",
    name: "cam",
    stream: "live/cam",
    protocol: "rtmp",
    remoteAddr: "127.0.0.1:5000",
    query: { token: "good" },
  });
  await new Promise((r) => setTimeout(r, 300)); // let the slow handler finish before the server closes
});

Deno.test("WebhookAuthenticator fails closed when the hook is unreachable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const auth = new WebhookAuthenticator({
    url: `http://127.0.0.1:${port}/`,
    timeoutMs: 1000,
  });
  const decision = await auth.authorize({
    action: "play",
    key,
    credentials: { protocol: "hls" },
  });
  assert.equal(decision.allowed, false);
  assert.throws(
    () => new WebhookAuthenticator({ url: "file:///etc/passwd" }),
    TypeError,
  );
});
