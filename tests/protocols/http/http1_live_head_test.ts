// The response head of a live body on the own HTTP/1.1 server is written
// before the body runs (issue 19: the viewer's lifetime keeps no copy of
// it), and a viewer whose head cannot be written has its body cancelled
// (its subscription released), the body never run, the connection released.
import assert from "node:assert/strict";
import { Connection } from "../../../protocols/http/server/_connection.ts";
import {
  DEFAULT_HTTP1_LIMITS,
  type ServerInternals,
} from "../../../protocols/http/server/types.ts";
import {
  type LiveBody,
  liveResponse,
  type LiveSink,
} from "../../../protocols/http/live_body.ts";
import { systemClock } from "../../../src/clock.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const REMOTE: Deno.NetAddr = {
  transport: "tcp",
  hostname: "127.0.0.1",
  port: 40000,
};

/** A socket that delivers one request, then EOF; writes go to `wire` or fail. */
function fakeConn(request: string, failWrites: boolean) {
  const wire: number[] = [];
  let pending: Uint8Array | null = encoder.encode(request);
  let closed = false;
  const conn = {
    read(buf: Uint8Array): Promise<number | null> {
      if (pending === null) return Promise.resolve(null);
      const n = Math.min(buf.length, pending.length);
      buf.set(pending.subarray(0, n));
      pending = n === pending.length ? null : pending.subarray(n);
      return Promise.resolve(n);
    },
    write(bytes: Uint8Array): Promise<number> {
      if (failWrites || closed) {
        return Promise.reject(new Deno.errors.BrokenPipe("peer gone"));
      }
      for (const b of bytes) wire.push(b);
      return Promise.resolve(bytes.length);
    },
    close(): void {
      closed = true;
    },
    remoteAddr: REMOTE,
  } as unknown as Deno.Conn;
  return { conn, text: () => decoder.decode(new Uint8Array(wire)) };
}

/** A live body that records what the host did with it. */
class RecordingBody implements LiveBody {
  readonly kind = "stream" as const;
  readonly chunked = true;
  cancelled: string[] = [];
  /** The bytes on the wire when run() started. */
  wireAtRun: string | null = null;
  #text: () => string = () => "";

  watch(text: () => string): void {
    this.#text = text;
  }

  async run(sink: LiveSink): Promise<void> {
    this.wireAtRun = this.#text();
    await sink.write(encoder.encode("5\r\nhello\r\n"));
  }

  cancel(reason: string): void {
    this.cancelled.push(reason);
  }
}

function internals(
  body: RecordingBody,
  released: object[],
  errors: unknown[],
): ServerInternals {
  return {
    handler: (request) =>
      liveResponse(request, body, {
        headers: { "content-type": "video/x-flv" },
        clock: systemClock,
      }),
    clock: systemClock,
    limits: { ...DEFAULT_HTTP1_LIMITS },
    hooks: {
      onRefused: () => {},
      onError: (e) => errors.push(e),
    },
    tls: false,
    dropped: () => {},
    date: () => "Sun, 06 Dec 2026 20:00:00 GMT",
    release: (c) => released.push(c),
  };
}

const REQUEST = "GET /live/cam.flv HTTP/1.1\r\nHost: x\r\n\r\n";

Deno.test("http1 live body: the head is on the wire before the body runs, then the body's chunks and the last chunk", async () => {
  const body = new RecordingBody();
  const { conn, text } = fakeConn(REQUEST, false);
  body.watch(text);
  const released: object[] = [];
  const errors: unknown[] = [];
  const c = new Connection(conn, REMOTE, internals(body, released, errors));
  await c.run();
  assert.match(body.wireAtRun ?? "", /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(body.wireAtRun ?? "", /transfer-encoding: chunked\r\n/);
  assert.ok((body.wireAtRun ?? "").endsWith("\r\n\r\n"));
  assert.equal(text(), `${body.wireAtRun}5\r\nhello\r\n0\r\n\r\n`);
  assert.deepEqual(body.cancelled, []);
  assert.deepEqual(released, [c]);
  assert.deepEqual(errors, []);
});

Deno.test("http1 live body: a viewer gone before its head is written has the body cancelled, never run", async () => {
  const body = new RecordingBody();
  const { conn, text } = fakeConn(REQUEST, true);
  body.watch(text);
  const released: object[] = [];
  const errors: unknown[] = [];
  const c = new Connection(conn, REMOTE, internals(body, released, errors));
  await c.run();
  assert.equal(body.wireAtRun, null);
  assert.equal(body.cancelled.length, 1);
  assert.match(body.cancelled[0]!, /before the response head/);
  assert.deepEqual(released, [c]);
  assert.equal(c.closed, true);
  assert.deepEqual(errors, []); // a disconnect is not an error
});
