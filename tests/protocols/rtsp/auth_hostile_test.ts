// RTSP authentication (Basic and Digest mapped to the engine's
// authenticator, real ffmpeg/ffprobe peers) and hostile input: malformed
// requests, huge heads, interleaved garbage, a SETUP flood, state errors
// (454/455/459/461/501), session timeout on a ManualClock.
import assert from "node:assert/strict";
import { missing } from "../../_tools.ts";
import { Engine, ManualClock, TokenAuthenticator } from "../../../src/mod.ts";
import {
  RtspClientConnection,
  RtspHandler,
  type RtspHandlerOptions,
  RtspReader,
  type RtspResponse,
} from "../../../protocols/rtsp/mod.ts";
import {
  probeFrames,
  publishTestPattern,
  startOrigin,
  until,
} from "./_rtsp_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = (s: string) => new TextEncoder().encode(s);

/** A raw connection: write bytes, read responses until `count` or close. */
async function raw(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new RtspReader();
  const buf = new Uint8Array(65536);
  let closed = false;
  return {
    conn,
    async send(bytes: Uint8Array | string): Promise<void> {
      await conn.write(typeof bytes === "string" ? enc(bytes) : bytes).catch(
        () => {},
      );
    },
    /** The next response, or null once the server closed. */
    async response(timeoutMs = 5000): Promise<RtspResponse | null> {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        for (let m = reader.next(); m !== null; m = reader.next()) {
          if (m.type === "response") return m.response;
        }
        if (closed) return null;
        const n = await conn.read(buf).catch(() => null);
        if (n === null) closed = true;
        else reader.push(buf.subarray(0, n));
      }
      throw new Error("no response in time");
    },
    close() {
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
}

async function server(options: RtspHandlerOptions = {}, clock?: ManualClock) {
  let b = Engine.builder();
  if (clock) b = b.clock(clock);
  const engine = b.build();
  const rtsp = new RtspHandler({
    hostname: "127.0.0.1",
    port: 0,
    udpRtpPort: 0,
    ...options,
  });
  const served = engine.serve([rtsp]);
  const { port } = await rtsp.listening;
  return {
    engine,
    rtsp,
    port,
    async [Symbol.asyncDispose]() {
      await engine.shutdown({ deadlineMs: 0 });
      await served;
    },
  };
}

Deno.test({
  name:
    "rtsp auth: Basic password as the authenticator's token (ffmpeg publishes with it, ffprobe plays with it, 401 with a challenge without)",
  ignore: missing("ffmpeg", "ffprobe"),
  ...opts,
  async fn() {
    await using origin = await startOrigin({
      authenticator: new TokenAuthenticator({
        publishToken: "pub",
        playToken: "s3cret",
      }),
    });
    const host = origin.rtspUrl.slice("rtsp://".length);
    await using _pub = publishTestPattern(
      "rtsp-tcp",
      `rtsp://cam:pub@${host}/live/cam`,
    );
    await until(
      () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const denied = await probeFrames(`${origin.rtspUrl}/live/cam`, [
      "-rtsp_transport",
      "tcp",
    ], 1);
    assert.match(denied.stderr, /401|Unauthorized/);
    const wrong = await probeFrames(`rtsp://viewer:nope@${host}/live/cam`, [
      "-rtsp_transport",
      "tcp",
    ], 1);
    assert.match(wrong.stderr, /401|Unauthorized/);
    const ok = await probeFrames(`rtsp://viewer:s3cret@${host}/live/cam`, [
      "-rtsp_transport",
      "tcp",
    ]);
    assert.ok(ok.video >= 40, JSON.stringify(ok));
  },
});

Deno.test({
  name:
    "rtsp auth: Digest (MD5, expiring nonce) offered first when a password lookup is set; ffprobe and our client authenticate with it",
  ignore: missing("ffmpeg", "ffprobe"),
  ...opts,
  async fn() {
    await using origin = await startOrigin({
      authenticator: new TokenAuthenticator({ playToken: "s3cret" }),
      rtsp: { digestPassword: (u) => (u === "viewer" ? "s3cret" : undefined) },
    });
    const host = origin.rtspUrl.slice("rtsp://".length);
    await using _pub = publishTestPattern(
      "rtsp-tcp",
      `${origin.rtspUrl}/live/cam`,
    );
    await until(
      () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const anonymous = await RtspClientConnection.connect(
      new URL(`${origin.rtspUrl}/live/cam`),
    );
    const challenge = await anonymous.request(
      "DESCRIBE",
      `${origin.rtspUrl}/live/cam`,
    );
    anonymous.close();
    assert.equal(challenge.status, 401);
    const offered = challenge.headers.getAll("www-authenticate");
    assert.match(
      offered[0] ?? "",
      /^Digest realm="arcly-stream", nonce="[0-9a-f]+\.[0-9a-f]{32}", algorithm=MD5$/,
    );
    assert.match(offered[1] ?? "", /^Basic /);
    const client = await RtspClientConnection.connect(
      new URL(`rtsp://viewer:s3cret@${host}/live/cam`),
    );
    const described = await client.request(
      "DESCRIBE",
      `${origin.rtspUrl}/live/cam`,
    );
    client.close();
    assert.equal(described.status, 200);
    assert.match(
      new TextDecoder().decode(described.body),
      /a=rtpmap:96 H264\/90000/,
    );
    const ok = await probeFrames(`rtsp://viewer:s3cret@${host}/live/cam`, [
      "-rtsp_transport",
      "udp",
    ]);
    assert.ok(ok.video >= 40, JSON.stringify(ok));
    const wrong = await RtspClientConnection.connect(
      new URL(`rtsp://viewer:bad@${host}/live/cam`),
    );
    assert.equal(
      (await wrong.request("DESCRIBE", `${origin.rtspUrl}/live/cam`)).status,
      401,
    );
    wrong.close();
  },
});

Deno.test("rtsp hostile: malformed request, huge head, garbage after interleaved frames → status then close; the server keeps serving", async () => {
  await using s = await server();
  const cases: [string | Uint8Array, number][] = [
    ["OPTIONS\r\nCSeq: 1\r\n\r\n", 400],
    [
      "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Big: " + "a".repeat(20_000) +
      "\r\n\r\n",
      400,
    ],
    ["OPTIONS * RTSP/1.0\r\n" + "X: y\r\n".repeat(200) + "\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", 505],
    ["OPTIONS * RTSP/1.0\r\n\r\n", 400], // no CSeq
    [
      new Uint8Array([
        0x24,
        0,
        0,
        4,
        1,
        2,
        3,
        4,
        0x24,
        9,
        0,
        1,
        7,
        0xff,
        0xfe,
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
      ]),
      400,
    ],
  ];
  for (const [input, status] of cases) {
    const c = await raw(s.port);
    await c.send(input);
    const res = await c.response();
    assert.equal(res?.status, status, String(input).slice(0, 40));
    assert.equal(await c.response(), null, "closed after the error");
    c.close();
  }
  const c = await raw(s.port);
  await c.send("OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n");
  const res = await c.response();
  assert.equal(res?.status, 200);
  assert.equal(res?.headers.get("cseq"), "7");
  assert.match(res?.headers.get("public") ?? "", /DESCRIBE.*SETUP.*PLAY/);
  c.close();
});

Deno.test("rtsp hostile: SETUP flood is bounded (453 per connection, 503 server-wide), state errors answer 454/455/459/461/501/404", async () => {
  await using s = await server({ maxSessions: 6 });
  const stream = s.engine.startPublish("live/cam");
  stream.publishFrame({
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: new Uint8Array([0x11, 0x90]),
  });
  const url = `rtsp://127.0.0.1:${s.port}/live/cam`;
  const setup = (
    cseq: number,
    extra = "",
    transport = "RTP/AVP/TCP;unicast;interleaved=0-1",
  ) =>
    `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: ${cseq}\r\nTransport: ${transport}\r\n${extra}\r\n`;
  const a = await raw(s.port);
  const statuses: number[] = [];
  for (let i = 1; i <= 6; i++) {
    await a.send(setup(i));
    statuses.push((await a.response())?.status ?? 0);
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 453, 453]);
  const b = await raw(s.port);
  const more: number[] = [];
  for (let i = 1; i <= 4; i++) {
    await b.send(setup(i));
    more.push((await b.response())?.status ?? 0);
  }
  assert.deepEqual(more, [200, 200, 503, 503]);
  assert.equal(s.rtsp.sessionCount, 6);
  a.close();
  await until(
    () => s.rtsp.sessionCount === 2,
    3000,
    "sessions released with their connection",
  );
  const c = await raw(s.port);
  const expect = async (text: string, status: number) => {
    await c.send(text);
    assert.equal((await c.response())?.status, status, text.split("\r\n")[0]);
  };
  await expect(`PLAY ${url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`, 454);
  await expect(
    `PLAY ${url} RTSP/1.0\r\nCSeq: 2\r\nSession: DEADBEEF\r\n\r\n`,
    454,
  );
  await expect(setup(3, "", "RTP/AVP;multicast;destination=224.0.0.1"), 461);
  await expect(`FLY ${url} RTSP/1.0\r\nCSeq: 4\r\n\r\n`, 501);
  await expect(
    `DESCRIBE rtsp://127.0.0.1:${s.port}/live/none RTSP/1.0\r\nCSeq: 5\r\n\r\n`,
    404,
  );
  await c.send(setup(6));
  const created = await c.response();
  const session = created?.headers.get("session")?.split(";")[0];
  assert.ok(session);
  assert.match(
    created?.headers.get("transport") ?? "",
    /interleaved=0-1;ssrc=[0-9A-F]{8}/,
  );
  await expect(
    `SETUP ${url}2/trackID=0 RTSP/1.0\r\nCSeq: 12\r\nSession: ${session}\r\nTransport: RTP/AVP/TCP;interleaved=2-3\r\n\r\n`,
    459,
  );
  await expect(
    `RECORD ${url} RTSP/1.0\r\nCSeq: 7\r\nSession: ${session}\r\n\r\n`,
    455,
  );
  await expect(
    `PLAY ${url} RTSP/1.0\r\nCSeq: 13\r\nSession: ${session}\r\n\r\n`,
    200,
  );
  await expect(
    `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 14\r\nSession: ${session}\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n`,
    455,
  );
  await expect(
    `PAUSE ${url} RTSP/1.0\r\nCSeq: 8\r\nSession: ${session}\r\n\r\n`,
    200,
  );
  await expect(
    `PLAY ${url} RTSP/1.0\r\nCSeq: 15\r\nSession: ${session}\r\n\r\n`,
    200,
  );
  await expect(
    `GET_PARAMETER ${url} RTSP/1.0\r\nCSeq: 9\r\nSession: ${session}\r\n\r\n`,
    200,
  );
  await expect(
    `TEARDOWN ${url} RTSP/1.0\r\nCSeq: 10\r\nSession: ${session}\r\n\r\n`,
    200,
  );
  await expect(
    `PLAY ${url} RTSP/1.0\r\nCSeq: 11\r\nSession: ${session}\r\n\r\n`,
    454,
  );
  await expect(`OPTIONS * RTSP/1.0\r\nCSeq: 16\r\n\r\n`, 200); // connection kept
  b.close();
  c.close();
  stream.end();
});

Deno.test("rtsp hostile: a connection without requests or packets is closed after the session timeout (engine clock)", async () => {
  const clock = new ManualClock();
  await using s = await server({ sessionTimeoutMs: 5000 }, clock);
  const c = await raw(s.port);
  await c.send("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
  assert.equal((await c.response())?.status, 200);
  clock.advance(4000);
  await c.send("GET_PARAMETER * RTSP/1.0\r\nCSeq: 2\r\n\r\n");
  assert.equal((await c.response())?.status, 200);
  clock.advance(4000);
  assert.equal(s.rtsp.connectionCount, 1, "kept alive by the request");
  clock.advance(1500);
  assert.equal(await c.response(), null, "closed after 5 s of silence");
  c.close();
});
