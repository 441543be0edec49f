// The control API v1 against the real CLI (`deno task start`, a child
// process) and real peers: ffmpeg publishes over RTMP; with only the HLS
// packager attached the stream has 0 viewers; an HTTP-FLV viewer (fetch)
// and an RTMP player (ffmpeg) show in GET /api/v1/clients; DELETE without
// the token is refused (401/403), with it the viewer's connection ends
// within 1 s; repeated HLS playlist fetches are one `hls` session; kicking
// the publisher ends ffmpeg's publish; the OpenAPI document lists every path.
import assert from "node:assert/strict";
import { missing, spawnLogged } from "../_tools.ts";
import type { ApiV1Server, ApiV1Stream } from "../../protocols/http/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SAMPLE = `${ROOT}examples/assets/sample.flv`;
const TOKEN = "e2e-admin-token";

interface Client {
  id: string;
  kind: string;
  protocol: string;
  stream: string;
  remoteAddr: string | null;
  startedAt: string;
  bytesSent: number;
  bytesReceived: number;
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return await res.json() as T;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test({
  name:
    "control API: CLI + ffmpeg RTMP publish; HTTP-FLV and RTMP viewers listed and kicked (< 1 s), token rules, HLS sessions, publisher kick, OpenAPI",
  ignore: missing("ffmpeg"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const hlsDir = `hls/e2e-control-api-${Deno.pid}`;
  const origin = spawnLogged(Deno.execPath(), [
    "task",
    "start",
    "--rtmp",
    "127.0.0.1:0",
    "--http",
    "127.0.0.1:0",
    "--rtsp",
    "off",
    "--srt",
    "off",
    "--webrtc-udp",
    "off",
    "--publisher-grace",
    "0",
    "--hls-dir",
    hlsDir,
    "--api-token",
    TOKEN,
  ], ROOT);
  let publisher: Deno.ChildProcess | null = null;
  let player: Deno.ChildProcess | null = null;
  try {
    const rtmpPort =
      (await origin.waitFor(/rtmp:\/\/[^:]+:(\d+)\//, 60_000))[1];
    const httpPort =
      (await origin.waitFor(/dashboard\s+http:\/\/[^:]+:(\d+)\//, 60_000))[1];
    const base = `http://127.0.0.1:${httpPort}`;
    const rtmp = `rtmp://127.0.0.1:${rtmpPort}/live/cam`;
    publisher = spawn([
      "-v",
      "error",
      "-re",
      "-stream_loop",
      "-1",
      "-i",
      SAMPLE,
      "-c",
      "copy",
      "-f",
      "flv",
      rtmp,
    ]);

    // Live, published over RTMP, only internal consumers: 0 viewers.
    type Streams = { streams: ApiV1Stream[] };
    const stream = await until("live/cam", async () => {
      const { streams } = await json<Streams>(`${base}/api/v1/streams`);
      return streams.find((s) => s.key === "live/cam" && s.video !== null);
    });
    assert.equal(stream.publisher?.protocol, "rtmp");
    assert.match(stream.publisher?.remoteAddr ?? "", /^127\.0\.0\.1/);
    assert.equal(stream.viewers.total, 0);
    for (
      const p of ["rtmp", "http-flv", "ws-flv", "hls", "webrtc", "srt", "rtsp"]
    ) assert.equal(stream.viewers.byProtocol[p], 0, p);
    assert.equal(stream.video?.codec, "h264");
    assert.ok(!Number.isNaN(Date.parse(stream.startedAt)));
    const legacy = await json<
      { streams: { key: string; subscribers: number }[] }
    >(
      `${base}/api/streams`,
    );
    assert.equal(legacy.streams[0]!.subscribers, 0); // the packager is not a viewer

    // An HTTP-FLV viewer.
    const flv = await fetch(`${base}/live/cam.flv`);
    assert.equal(flv.status, 200);
    let received = 0;
    let endedAt = 0;
    const reading = (async () => {
      try {
        for await (const chunk of flv.body!) received += chunk.length;
      } catch { /* aborted by the server: also an end */ }
      endedAt = performance.now();
    })();
    const viewer = await until("the HTTP-FLV viewer", async () => {
      const { clients } = await json<{ clients: Client[] }>(
        `${base}/api/v1/clients`,
      );
      return clients.find((c) =>
        c.kind === "viewer" && c.protocol === "http-flv" && c.bytesSent > 0
      );
    });
    assert.equal(viewer.stream, "live/cam");
    assert.match(viewer.id, /^c-/);
    assert.equal(viewer.remoteAddr, "127.0.0.1");
    const one = await json<ApiV1Stream>(
      `${base}/api/v1/streams/live/cam`,
    );
    assert.equal(one.viewers.byProtocol["http-flv"], 1);
    assert.equal(one.viewers.total, 1);

    // Token rules.
    const path = `${base}/api/v1/clients/${viewer.id}`;
    const anonymous = await fetch(path, { method: "DELETE" });
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).error.code, "unauthorized");
    const wrong = await fetch(path, {
      method: "DELETE",
      headers: { authorization: "Bearer wrong" },
    });
    assert.equal(wrong.status, 403);
    assert.equal((await wrong.json()).error.code, "forbidden");
    assert.equal(endedAt, 0, "a refused DELETE must not end the viewer");

    // The kick ends the HTTP-FLV body within 1 s.
    const before = received;
    const kickedAt = performance.now();
    const kicked = await fetch(path, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(kicked.status, 204);
    await Promise.race([
      reading,
      new Promise((r) => setTimeout(r, 3_000)),
    ]);
    assert.ok(endedAt > 0, "the FLV body did not end after the kick");
    const tookMs = endedAt - kickedAt;
    // deno-lint-ignore no-console
    console.log(
      `HTTP-FLV kick: body ended ${
        tookMs.toFixed(0)
      } ms after DELETE (${before} bytes before)`,
    );
    assert.ok(tookMs < 1_000, `ended after ${tookMs} ms`);
    const gone = await fetch(path, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).error.code, "not_found");

    // An RTMP player (ffmpeg): listed, kicked, its process ends.
    player = spawn(["-v", "error", "-i", rtmp, "-f", "null", "-"]);
    const rtmpViewer = await until("the RTMP player", async () => {
      const { clients } = await json<{ clients: Client[] }>(
        `${base}/api/v1/clients`,
      );
      return clients.find((c) => c.kind === "viewer" && c.protocol === "rtmp");
    });
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/clients/${rtmpViewer.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 204);
    const playerGone = await Promise.race([
      player.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
    ]);
    assert.ok(playerGone, "ffmpeg kept playing after the kick");
    // deno-lint-ignore no-console
    console.log(
      `RTMP kick: ffmpeg player exited ${
        (performance.now() - t0).toFixed(0)
      } ms after DELETE`,
    );
    player = null;

    // HLS: repeated playlist fetches by one player are one session.
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/live/cam/index.m3u8`);
      assert.equal(r.status, 200);
      await r.body?.cancel();
    }
    const { clients } = await json<{ clients: Client[] }>(
      `${base}/api/v1/clients`,
    );
    const hls = clients.filter((c) => c.protocol === "hls");
    assert.equal(hls.length, 1, JSON.stringify(clients));
    const withHls = await json<ApiV1Stream>(
      `${base}/api/v1/streams/live/cam`,
    );
    assert.equal(withHls.viewers.byProtocol.hls, 1);
    assert.equal(withHls.viewers.total, 1);

    // Server figures and endpoints.
    const server = await json<ApiV1Server>(`${base}/api/v1/server`);
    assert.equal(server.endpoints.rtmp, `rtmp://127.0.0.1:${rtmpPort}`);
    assert.equal(server.endpoints.http, base);
    assert.equal(server.endpoints.srt, null);
    assert.equal(server.endpoints.webrtc, false);
    assert.ok(server.memory.rss > 0);
    assert.ok(server.bandwidth.inBitsPerSecond > 0, JSON.stringify(server));
    assert.ok(server.connections.limit > 0);

    // OpenAPI.
    const doc = await json<{ openapi: string; paths: Record<string, unknown> }>(
      `${base}/api/v1/openapi.json`,
    );
    assert.equal(doc.openapi, "3.1.0");
    for (
      const p of [
        "/api/v1/server",
        "/api/v1/streams",
        "/api/v1/streams/{app}/{name}",
        "/api/v1/clients",
        "/api/v1/clients/{id}",
        "/api/v1/recordings",
        "/api/v1/recordings/{app}/{name}",
        "/api/v1/recordings/{app}/{name}/download",
        "/api/v1/recordings/{app}/{name}/playlist.m3u8",
      ]
    ) assert.ok(p in doc.paths, p);

    // Metrics: viewers per protocol.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^arcly_viewers\{protocol="hls"\} 1$/m);
    assert.match(metrics, /^arcly_stream_viewers\{stream="live\/cam"\} 1$/m);

    // Kick the publisher: the stream ends, ffmpeg's publish fails.
    const pub = clients.find((c) => c.kind === "publisher")!;
    assert.equal(pub.protocol, "rtmp");
    assert.ok(pub.bytesReceived > 0);
    const p = await fetch(`${base}/api/v1/clients/${pub.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(p.status, 204);
    const ended = await Promise.race([
      publisher.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
    ]);
    assert.ok(ended, "ffmpeg kept publishing after the kick");
    publisher = null;
  } finally {
    for (const child of [publisher, player]) {
      try {
        child?.kill("SIGKILL");
        await child?.status;
      } catch { /* gone */ }
    }
    await origin.stop();
    await Deno.remove(`${ROOT}${hlsDir}`, { recursive: true }).catch(() => {});
  }
});
