// The origin's own HTTP/1.1 server (protocols/http/server/) through
// HttpHandler, with raw sockets where the bytes on the wire are the point:
// keep-alive, pipelining, HEAD, framing, refusals, the head deadline, the
// connection cap, direct HTTP-FLV/WS-FLV bodies, HTTPS and shutdown.
import assert from "node:assert/strict";
import { readFlvFile } from "../../../media/flv/mod.ts";
import {
  type AuditEvent,
  ConnectionGate,
  Engine,
  StreamKey,
} from "../../../src/mod.ts";
import {
  HttpHandler,
  type HttpHandlerOptions,
} from "../../../protocols/http/mod.ts";
import { missing, tempDir } from "../../_tools.ts";
import { testCertificates } from "../../_tls.ts";
import { publishPaced, sampleFrames } from "./_fixtures.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function startOrigin(options: Partial<HttpHandlerOptions> = {}) {
  const audit: AuditEvent[] = [];
  const engine = Engine.builder().audit({ record: (e) => audit.push(e) })
    .build();
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    dashboard: false,
    ...options,
  });
  const controller = new AbortController();
  const served = engine.serve([http], controller.signal);
  const { port } = await http.listening;
  return {
    engine,
    http,
    port,
    audit,
    served,
    controller,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await served;
      await engine[Symbol.asyncDispose]();
    },
  };
}

/** Send `bytes`, read until the server closes (or `limitMs`), return the text. */
async function exchange(
  port: number,
  request: string | Uint8Array,
  limitMs = 5_000,
): Promise<{ text: string; closed: boolean; bytes: Uint8Array }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: Uint8Array[] = [];
  let closed = false;
  const timer = setTimeout(() => conn.close(), limitMs);
  try {
    await conn.write(
      typeof request === "string" ? encoder.encode(request) : request,
    );
    const buf = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already */ }
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder("latin1").decode(bytes), closed, bytes };
}

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Parse consecutive HTTP/1.1 responses (Content-Length or chunked bodies). */
function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\r\n\r\n", at);
    assert.ok(end > 0, `a complete head at ${at}: ${text.slice(at, at + 80)}`);
    const [statusLine, ...lines] = text.slice(at, end).split("\r\n");
    const status = Number(statusLine!.split(" ")[1]);
    const headers = new Map<string, string>();
    for (const l of lines) {
      const i = l.indexOf(":");
      headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
    }
    at = end + 4;
    let body = "";
    if (headers.has("content-length")) {
      const n = Number(headers.get("content-length"));
      body = text.slice(at, at + n);
      at += n;
    } else if (headers.get("transfer-encoding") === "chunked") {
      while (true) {
        const lineEnd = text.indexOf("\r\n", at);
        const size = parseInt(text.slice(at, lineEnd), 16);
        at = lineEnd + 2;
        if (size === 0) {
          at += 2;
          break;
        }
        body += text.slice(at, at + size);
        at += size + 2;
      }
    } else {
      body = text.slice(at);
      at = text.length;
    }
    out.push({ status, headers, body });
  }
  return out;
}

Deno.test("http1: keep-alive and pipelined requests are answered in order with Content-Length", async () => {
  await using o = await startOrigin();
  const get = (path: string, extra = "") =>
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
  // three requests in one write (pipelined), the last one closes
  const r = await exchange(
    o.port,
    get("/api/streams") + get("/healthz") +
      get("/nope", "Connection: close\r\n"),
  );
  assert.ok(r.closed, "the server closes after Connection: close");
  const responses = parseResponses(r.text);
  assert.deepEqual(responses.map((x) => x.status), [200, 200, 404]);
  assert.equal(JSON.parse(responses[0]!.body).streams.length, 0);
  for (const x of responses) {
    assert.ok(x.headers.has("content-length"), "small bodies get a length");
    assert.ok(x.headers.has("date"));
  }
  assert.equal(responses[2]!.headers.get("connection"), "close");
});

Deno.test("http1: HEAD has headers and no body; HTTP/1.0 closes; OPTIONS preflight works", async () => {
  await using o = await startOrigin();
  const head = await exchange(
    o.port,
    "HEAD /api/streams HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  const [h] = parseResponses(head.text.replace(/\r\n\r\n[\s\S]*$/, "\r\n\r\n"));
  assert.equal(h!.status, 200);
  assert.ok(head.text.endsWith("\r\n\r\n"), "no body after the head");
  const old = await exchange(o.port, "GET /api/streams HTTP/1.0\r\n\r\n");
  assert.ok(old.closed);
  assert.match(old.text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(old.text, /connection: close/i);
  const pre = await exchange(
    o.port,
    "OPTIONS /live/a.flv HTTP/1.1\r\nHost: x\r\nOrigin: http://a\r\n" +
      "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n",
  );
  assert.equal(parseResponses(pre.text)[0]!.status, 204);
  assert.match(pre.text, /access-control-allow-origin: \*/i);
});

Deno.test("http1: malformed, oversized and smuggling-shaped heads get 4xx/5xx and are audited", async () => {
  await using o = await startOrigin({ maxHeadBytes: 2048 });
  const cases: [string, number][] = [
    ["\x16\x03\x01garbage\r\n\r\n", 400],
    ["GET /a HTTP/2.0\r\nHost: x\r\n\r\n", 505],
    ["GET /a HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400],
    [
      "GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      400,
    ],
    [
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    [
      "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      501,
    ],
    [`GET /${"a".repeat(4000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ["GET /a HTTP/1.1\r\n\r\n", 400], // HTTP/1.1 without Host
    ["GET /a HTTP/1.1\r\nHost: evil/../x\r\n\r\n", 400],
    ["GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["GET a HTTP/1.1\r\nHost: x\r\n\r\n", 400],
  ];
  for (const [request, status] of cases) {
    const r = await exchange(o.port, request);
    assert.ok(r.closed, `closed after ${JSON.stringify(request.slice(0, 30))}`);
    assert.equal(
      Number(r.text.split(" ")[1]),
      status,
      `${JSON.stringify(request.slice(0, 40))} → ${r.text.slice(0, 60)}`,
    );
  }
  const dropped = o.audit.filter((e) =>
    e.type === "clientDropped" && e.protocol === "http"
  );
  assert.equal(dropped.length, cases.length, "one clientDropped audit each");
  assert.equal(o.http.connectionCount, 0);
});

Deno.test("http1: a head that does not arrive within headerTimeoutMs is closed; an idle keep-alive too", async () => {
  await using o = await startOrigin({ headerTimeoutMs: 300 });
  const t0 = performance.now();
  const partial = await exchange(
    o.port,
    "GET /api/streams HTTP/1.1\r\nHos",
    3_000,
  );
  assert.ok(partial.closed);
  assert.equal(partial.text, "", "no answer to half a head");
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 250 && elapsed < 2_000, `${elapsed} ms`);
  const idle = await exchange(
    o.port,
    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    3_000,
  );
  assert.ok(idle.closed, "idle keep-alive connection closed by the deadline");
  assert.equal(parseResponses(idle.text)[0]!.status, 200);
  assert.ok(
    o.audit.some((e) => e.type === "clientDropped" && e.code === "Timeout"),
  );
});

Deno.test("http1: maxConnections and a per-IP gate refuse at accept, audited", async () => {
  await using o = await startOrigin({
    maxConnections: 3,
    gate: new ConnectionGate({ maxConnections: 100, maxPerIp: 2 }),
  });
  const held = await Promise.all(
    [0, 1].map(() => Deno.connect({ hostname: "127.0.0.1", port: o.port })),
  );
  try {
    await new Promise((r) => setTimeout(r, 100));
    const third = await exchange(
      o.port,
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      2_000,
    );
    assert.ok(third.closed);
    assert.equal(third.text, "", "refused before any byte is read");
    assert.equal(o.http.refusedConnections, 1);
    assert.ok(
      o.audit.some((e) =>
        e.type === "clientDropped" && /maxPerIp/.test(e.reason)
      ),
    );
  } finally {
    for (const c of held) c.close();
  }
});

for (const version of ["1.1", "1.0"] as const) {
  Deno.test(
    `http1: HTTP-FLV is written straight to the socket (HTTP/${version}: ${
      version === "1.1"
        ? "chunked, ends with the last chunk"
        : "close-delimited"
    }), a valid FLV from a keyframe`,
    async () => {
      await using o = await startOrigin();
      const handle = o.engine.startPublish(StreamKey.parse("live/cam"));
      for (const f of sampleFrames()) {
        if (f.dts > 1500) break;
        handle.publishFrame(f);
      }
      const reading = exchange(
        o.port,
        `GET /live/cam.flv HTTP/${version}\r\nHost: x\r\n\r\n`,
        5_000,
      );
      await new Promise((r) => setTimeout(r, 200));
      handle.end();
      const r = await reading;
      assert.ok(r.closed, "the body ends with the stream");
      const headEnd = r.text.indexOf("\r\n\r\n");
      const head = r.text.slice(0, headEnd).toLowerCase();
      assert.match(head, /^http\/1\.1 200 ok/);
      assert.match(head, /content-type: video\/x-flv/);
      assert.match(head, /connection: close/);
      assert.doesNotMatch(head, /\r\ncontent-length:/);
      let body = r.bytes.subarray(headEnd + 4);
      if (version === "1.1") {
        assert.match(head, /\r\ntransfer-encoding: chunked/);
        body = dechunk(body); // throws unless it ends with the last chunk
      } else {
        assert.doesNotMatch(head, /\r\ntransfer-encoding:/);
      }
      const { header, frames } = readFlvFile(body);
      assert.ok(header.hasVideo && header.hasAudio);
      const firstVideo = frames.find((f) => f.kind === "video" && !f.config);
      assert.ok(firstVideo?.keyframe);
    },
  );
}

/** The payload of a complete chunked body (RFC 9112 §7.1); throws if cut short. */
function dechunk(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (true) {
    const lineEnd = body.indexOf(0x0a, at);
    assert.ok(lineEnd > at, "a chunk size line");
    const size = parseInt(decoder.decode(body.subarray(at, lineEnd - 1)), 16);
    assert.ok(Number.isInteger(size), "a hex chunk size");
    at = lineEnd + 1;
    if (size === 0) break;
    parts.push(body.subarray(at, at + size));
    at += size + 2;
    assert.ok(at <= body.length, "chunk within the body");
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("http1: WS-FLV over the own server: 101, binary messages forming an FLV, clean close", async () => {
  await using o = await startOrigin();
  const handle = o.engine.startPublish(StreamKey.parse("live/cam"));
  const publishing = publishPaced(handle, { speed: 4, maxMs: 4_000 });
  const ws = new WebSocket(`ws://127.0.0.1:${o.port}/live/cam.flv`);
  ws.binaryType = "arraybuffer";
  const chunks: Uint8Array[] = [];
  const closed = new Promise<CloseEvent>((resolve) => {
    ws.onclose = resolve;
  });
  ws.onmessage = (e) => chunks.push(new Uint8Array(e.data as ArrayBuffer));
  await publishing;
  handle.end();
  const close = await closed;
  assert.equal(close.code, 1000);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  assert.equal(decoder.decode(bytes.subarray(0, 3)), "FLV");
  const { frames } = readFlvFile(bytes);
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  assert.ok(media.length > 100, `${media.length} frames`);
  assert.ok(media.find((f) => f.kind === "video")?.keyframe);
});

Deno.test("http1: a WebSocket viewer's ping is answered with a pong, its close with a close", async () => {
  await using o = await startOrigin();
  const handle = o.engine.startPublish(StreamKey.parse("live/cam"));
  for (const f of sampleFrames().slice(0, 40)) handle.publishFrame(f);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: o.port });
  await conn.write(encoder.encode(
    "GET /live/cam.flv HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  ));
  const mask = [1, 2, 3, 4];
  const masked = (op: number, payload: number[]) =>
    new Uint8Array([
      0x80 | op,
      0x80 | payload.length,
      ...mask,
      ...payload.map((b, i) => b ^ mask[i % 4]!),
    ]);
  await new Promise((r) => setTimeout(r, 300)); // the replay goes out first
  await conn.write(masked(0x9, [0x68, 0x69])); // ping "hi"
  await conn.write(masked(0x8, [0x03, 0xe8])); // close 1000
  const got: number[] = [];
  const buf = new Uint8Array(256 * 1024);
  const timer = setTimeout(() => conn.close(), 5_000);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (const b of buf.subarray(0, n)) got.push(b);
    }
  } catch { /* closed by the timer */ }
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  handle.end();
  const text = new TextDecoder("latin1").decode(new Uint8Array(got));
  assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  // RFC 6455 §1.3's example key and accept value
  assert.match(text, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  // frames after the head: binary media, a pong "hi", a close
  let at = text.indexOf("\r\n\r\n") + 4;
  const ops: number[] = [];
  let pong = "";
  while (at + 2 <= got.length) {
    const op = got[at]! & 0x0f;
    let len = got[at + 1]! & 0x7f;
    let h = 2;
    if (len === 126) {
      len = (got[at + 2]! << 8) | got[at + 3]!;
      h = 4;
    } else if (len === 127) {
      len = Number(
        new DataView(new Uint8Array(got.slice(at + 2, at + 10)).buffer)
          .getBigUint64(0),
      );
      h = 10;
    }
    if (op === 0xa) {
      pong = String.fromCharCode(...got.slice(at + h, at + h + len));
    }
    ops.push(op);
    at += h + len;
  }
  assert.ok(ops.includes(0x2), "binary media messages");
  assert.equal(pong, "hi", `ops ${ops.join(",")} after ${got.length} bytes`);
  assert.equal(ops.at(-1), 0x8, "ends with a close frame");
});

Deno.test({
  name:
    "http1: HTTPS with the own server (TLS, ALPN http/1.1) serves the API and HTTP-FLV",
  ignore: missing("openssl"),
  fn: async () => {
    await using dir = await tempDir();
    const tls = await testCertificates(dir.path);
    await using o = await startOrigin({ cert: tls.cert, key: tls.key });
    const client = Deno.createHttpClient({ caCerts: [tls.ca] });
    try {
      const api = await fetch(`https://127.0.0.1:${o.port}/api/streams`, {
        client,
      });
      assert.equal(api.status, 200);
      assert.deepEqual((await api.json()).streams, []);
      const handle = o.engine.startPublish(StreamKey.parse("live/cam"));
      for (const f of sampleFrames().slice(0, 60)) handle.publishFrame(f);
      const flv = await fetch(`https://127.0.0.1:${o.port}/live/cam.flv`, {
        client,
      });
      assert.equal(flv.status, 200);
      const reader = flv.body!.getReader();
      const first = await reader.read();
      assert.equal(decoder.decode(first.value!.subarray(0, 3)), "FLV");
      handle.end();
      while (!(await reader.read()).done) { /* drain to the end */ }
    } finally {
      client.close();
    }
  },
});

Deno.test("http1: shutdown closes idle keep-alive connections at once and ends live bodies", async () => {
  const o = await startOrigin({ headerTimeoutMs: 60_000 });
  const handle = o.engine.startPublish(StreamKey.parse("live/cam"));
  for (const f of sampleFrames().slice(0, 60)) handle.publishFrame(f);
  const idle = exchange(
    o.port,
    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    10_000,
  );
  const live = exchange(
    o.port,
    "GET /live/cam.flv HTTP/1.1\r\nHost: x\r\n\r\n",
    10_000,
  );
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  await o[Symbol.asyncDispose]();
  const [a, b] = await Promise.all([idle, live]);
  assert.ok(a.closed && b.closed);
  assert.ok(performance.now() - t0 < 3_000, "no wait for the 60 s deadline");
  assert.equal(parseResponses(a.text)[0]!.status, 200);
  assert.match(b.text, /^HTTP\/1\.1 200 OK/);
});
