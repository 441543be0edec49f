// WHIP/WHEP signalling without a browser: refusals (400/401/403/404/406/
// 409/412/415), CORS preflight and exposed headers, DELETE, PATCH trickle,
// the ICE deadline (500 offers that never complete ICE are freed: no growth),
// and garbage/replayed datagrams on the shared UDP port.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { Engine, ManualClock, TokenAuthenticator } from "../../../src/mod.ts";
import { WebRtcHandler } from "../../../protocols/webrtc/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { gop, videoConfig } from "../../_fakes.ts";
import { syntheticOffer } from "./_offers.ts";

interface Fixture extends AsyncDisposable {
  engine: Engine;
  clock: ManualClock;
  webrtc: WebRtcHandler;
  post(
    path: string,
    body: string,
    headers?: Record<string, string>,
  ): Promise<Response>;
  send(path: string, init: RequestInit): Promise<Response>;
}

async function fixture(options: { auth?: boolean } = {}): Promise<Fixture> {
  const clock = new ManualClock(0);
  const builder = Engine.builder().clock(clock);
  if (options.auth) {
    builder.authenticator(
      new TokenAuthenticator({ publishToken: "pub", playToken: "play" }),
    );
  }
  const engine = builder.build();
  const webrtc = new WebRtcHandler({
    udp: { hostname: "127.0.0.1", port: 0 },
    hosts: ["127.0.0.1"],
    connectTimeoutMs: 5_000,
  });
  const controller = new AbortController();
  const served = engine.serve([webrtc], controller.signal);
  await webrtc.listening;
  const send = async (path: string, init: RequestInit) => {
    const res = await webrtc.routes.fetch(
      new Request(`http://origin${path}`, init),
      {
        remoteAddr: "127.0.0.1:1",
      },
    );
    assert.ok(res, `no answer for ${path}`);
    return res;
  };
  return {
    engine,
    clock,
    webrtc,
    send,
    post: (path, body, headers = {}) =>
      send(path, {
        method: "POST",
        body,
        headers: { "content-type": "application/sdp", ...headers },
      }),
    async [Symbol.asyncDispose]() {
      controller.abort();
      await served;
      await engine.shutdown({ deadlineMs: 0 });
    },
  };
}

function publishH264(
  engine: Engine,
  key: string,
  frames: MediaFrame[] = gop(0, 5),
): void {
  const handle = engine.startPublish(key);
  handle.publishFrame(videoConfig());
  for (const f of frames) handle.publishFrame(f);
}

Deno.test("webrtc endpoints: OPTIONS preflight answers CORS and exposes Location/ETag/Link", async () => {
  await using f = await fixture();
  const res = await f.send("/live/cam/whep", {
    method: "OPTIONS",
    headers: {
      origin: "http://page.example",
      "access-control-request-method": "POST",
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
  assert.match(
    res.headers.get("access-control-allow-headers") ?? "",
    /Authorization/,
  );
  assert.match(
    res.headers.get("access-control-expose-headers") ?? "",
    /Location, ETag, Link/,
  );
  // Not ours: null, so the next provider or the HTTP app answers.
  assert.equal(
    await f.webrtc.routes.fetch(new Request("http://origin/live/cam.flv"), {}),
    null,
  );
});

Deno.test("webrtc endpoints: malformed, codec-less, wrong type, unknown stream and unservable codecs are refused", async () => {
  await using f = await fixture();
  assert.equal((await f.post("/live/cam/whep", "hello")).status, 400);
  const codecless =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n";
  const r400 = await f.post("/live/cam/whep", codecless);
  assert.equal(r400.status, 400);
  assert.match(await r400.text(), /no media section with a codec/);
  const r415 = await f.send("/live/cam/whep", {
    method: "POST",
    body: syntheticOffer(),
    headers: { "content-type": "text/plain" },
  });
  assert.equal(r415.status, 415);
  await r415.body?.cancel();
  assert.equal((await f.post("/live/none/whep", syntheticOffer())).status, 404);
  publishH264(f.engine, "live/cam");
  const r406 = await f.post("/live/cam/whep", syntheticOffer({ video: "VP8" }));
  assert.equal(r406.status, 406);
  assert.match(await r406.text(), /H264/);
  const r406w = await f.post(
    "/live/new/whip",
    syntheticOffer({ video: "VP8", audio: "PCMU" }),
  );
  assert.equal(r406w.status, 406);
  await r406w.body?.cancel();
  assert.equal(
    f.engine.getStream("live/new"),
    undefined,
    "a refused WHIP offer does not publish",
  );
  const r405 = await f.send("/live/cam/whep", { method: "GET" });
  assert.equal(r405.status, 405);
  await r405.body?.cancel();
  assert.equal(f.webrtc.stats.whepSessions + f.webrtc.stats.whipSessions, 0);
});

Deno.test("webrtc endpoints: H.264 with B-frames is refused over WHEP with a reason", async () => {
  await using f = await fixture();
  const frames = gop(0, 5).map((fr, i) => ({
    ...fr,
    pts: fr.dts + (i % 2 ? 80 : 40),
  }));
  publishH264(f.engine, "live/b", frames);
  const res = await f.post("/live/b/whep", syntheticOffer());
  assert.equal(res.status, 406);
  assert.match(await res.text(), /B-frames/);
});

Deno.test("webrtc endpoints: bearer tokens go to the authenticator (401 without, 403 wrong, 201 right)", async () => {
  await using f = await fixture({ auth: true });
  const r401 = await f.post(
    "/live/cam/whip",
    syntheticOffer({ direction: "sendonly" }),
  );
  assert.equal(r401.status, 401);
  assert.match(r401.headers.get("www-authenticate") ?? "", /Bearer/);
  await r401.body?.cancel();
  const r403 = await f.post(
    "/live/cam/whip",
    syntheticOffer({ direction: "sendonly" }),
    {
      authorization: "Bearer nope",
    },
  );
  assert.equal(r403.status, 403);
  assert.match(await r403.text(), /Cannot/);
  const ok = await f.post(
    "/live/cam/whip",
    syntheticOffer({ direction: "sendonly" }),
    {
      authorization: "Bearer pub",
    },
  );
  assert.equal(ok.status, 201, await ok.clone().text());
  assert.equal(ok.headers.get("content-type"), "application/sdp");
  assert.match(
    ok.headers.get("location") ?? "",
    /^\/live\/cam\/whip\/[A-Za-z0-9_-]{16,}$/,
  );
  assert.match(ok.headers.get("etag") ?? "", /^".+"$/);
  const answer = await ok.text();
  assert.match(answer, /a=setup:passive/);
  assert.match(answer, /a=recvonly/);
  assert.ok(f.engine.getStream("live/cam"), "WHIP publishes at POST");
  const r409 = await f.post(
    "/live/cam/whip",
    syntheticOffer({ direction: "sendonly" }),
    {
      authorization: "Bearer pub",
    },
  );
  assert.equal(r409.status, 409);
  await r409.body?.cancel();
  // WHEP with the play token; the session sends, so the answer is sendonly.
  const w401 = await f.post("/live/cam/whep", syntheticOffer());
  assert.equal(w401.status, 401);
  await w401.body?.cancel();
});

Deno.test("webrtc endpoints: PATCH trickles candidates (204), checks If-Match (412) and refuses ICE restart (405); DELETE ends (200, then 404)", async () => {
  await using f = await fixture();
  publishH264(f.engine, "live/cam");
  const offer = syntheticOffer();
  const offerPwd = /a=ice-pwd:(\S+)/.exec(offer)![1]!;
  const res = await f.post("/live/cam/whep", offer);
  assert.equal(res.status, 201, await res.clone().text());
  const answer = await res.text();
  assert.match(answer, /a=sendonly/);
  const location = res.headers.get("location")!;
  const etag = res.headers.get("etag")!;
  const frag = (pwd = offerPwd) =>
    `a=ice-ufrag:abcd\r\na=ice-pwd:${pwd}\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host\r\n`;
  const patch = (body: string, headers: Record<string, string> = {}) =>
    f.send(location, {
      method: "PATCH",
      body,
      headers: {
        "content-type": "application/trickle-ice-sdpfrag",
        ...headers,
      },
    });
  const p204 = await patch(frag(), { "if-match": etag });
  assert.equal(p204.status, 204, await p204.text());
  const r412 = await patch(frag(), { "if-match": '"other"' });
  assert.equal(r412.status, 412);
  await r412.body?.cancel();
  const r405 = await patch(frag("a-new-password-for-restart"));
  assert.equal(r405.status, 405);
  await r405.body?.cancel();
  const r400 = await patch("a=candidate:garbage\r\n");
  assert.equal(r400.status, 400);
  await r400.body?.cancel();
  const r415 = await f.send(location, {
    method: "PATCH",
    body: frag(),
    headers: { "content-type": "application/sdp" },
  });
  assert.equal(r415.status, 415);
  await r415.body?.cancel();
  assert.equal(f.webrtc.stats.whepSessions, 1);
  assert.equal((await f.send(location, { method: "DELETE" })).status, 200);
  assert.equal(f.webrtc.stats.whepSessions, 0);
  const gone = await f.send(location, { method: "DELETE" });
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
});

Deno.test({
  name:
    "webrtc endpoints: 500 offers that never complete ICE are freed at the deadline (no growth); garbage datagrams are dropped",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using f = await fixture();
    publishH264(f.engine, "live/cam");
    const handle = f.engine.getStream("live/cam")!;
    const rssBefore = Deno.memoryUsage().rss;
    const rss: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const fr of gop(round * 5_000 + 1_000, 2)) handle.publishFrame(fr); // not idle
      const answers = await Promise.all(
        Array.from(
          { length: 100 },
          () => f.post("/live/cam/whep", syntheticOffer()),
        ),
      );
      for (const a of answers) {
        assert.equal(a.status, 201, await a.clone().text());
        await a.body?.cancel();
      }
      assert.equal(f.webrtc.stats.whepSessions, 100);
      f.clock.advance(5_001);
      await new Promise((r) => setTimeout(r, 0));
      assert.equal(f.webrtc.stats.whepSessions, 0, `round ${round}`);
      assert.equal(f.webrtc.mux?.sessionCount, 0, "ufrag routes freed");
      assert.equal(f.webrtc.mux?.addressCount, 0, "address routes freed");
      rss.push(Deno.memoryUsage().rss);
    }
    assert.equal(f.webrtc.stats.timedOut, 500);
    const growthMb = (Deno.memoryUsage().rss - rssBefore) / 1e6;
    // deno-lint-ignore no-console
    console.log(
      `500 never-connected offers: RSS ${growthMb >= 0 ? "+" : ""}${
        growthMb.toFixed(1)
      } MB; after each 100: ${
        rss.map((r) => (r / 1e6).toFixed(0)).join(", ")
      } MB; all freed`,
    );
    // Garbage and replayed STUN with unknown ufrags on the shared port: dropped, counted.
    const socket = dgram.createSocket("udp4");
    const port = f.webrtc.mux!.port;
    const stun = new Uint8Array(32);
    new DataView(stun.buffer).setUint16(0, 1);
    new DataView(stun.buffer).setUint16(2, 12);
    new DataView(stun.buffer).setUint32(4, 0x2112a442);
    new DataView(stun.buffer).setUint16(20, 6);
    new DataView(stun.buffer).setUint16(22, 8);
    stun.set(new TextEncoder().encode("nope:abc"), 24);
    const before = f.webrtc.mux!.stats.dropped;
    for (let i = 0; i < 50; i++) {
      socket.send(
        crypto.getRandomValues(new Uint8Array(1 + (i * 37) % 1200)),
        port,
        "127.0.0.1",
      );
      socket.send(stun, port, "127.0.0.1");
    }
    const deadline = Date.now() + 5_000;
    while (
      f.webrtc.mux!.stats.dropped - before < 100 && Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    socket.close();
    assert.equal(f.webrtc.mux!.stats.dropped - before, 100);
  },
});
