// The own server's live-body sink (protocols/http/server/_live.ts) and the
// lifetime of an HTTP-FLV connection: partial socket writes finish in
// order, `writeSome` hands back Deno's count, chunked framing and the last
// chunk, `peerGone` on abort; a viewer that leaves releases its connection
// and its subscription (the server forgets it without a promise chain).
import assert from "node:assert/strict";
import { Engine, StreamKey } from "../../../src/mod.ts";
import { HttpHandler } from "../../../protocols/http/mod.ts";
import { StreamSink } from "../../../protocols/http/server/_live.ts";
import type { ConnIo } from "../../../protocols/http/server/_io.ts";
import { publishPaced } from "./_fixtures.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A connection whose socket takes at most `step` bytes per write. */
function fakeIo(step: number) {
  const wire: number[] = [];
  let aborted = false;
  const conn = {
    write(bytes: Uint8Array): Promise<number> {
      const n = Math.min(step, bytes.length);
      for (let i = 0; i < n; i++) wire.push(bytes[i]!);
      return Promise.resolve(n);
    },
  } as unknown as Deno.Conn;
  const io: ConnIo = {
    conn,
    get closed() {
      return aborted;
    },
    write: (bytes) => conn.write(bytes).then(() => {}),
    abort: () => {
      aborted = true;
    },
  };
  return {
    io,
    text: () => decoder.decode(new Uint8Array(wire)),
    aborted: () => aborted,
  };
}

Deno.test("live sink: partial writes finish in order; writeSome returns Deno's count", async () => {
  const f = fakeIo(3);
  const sink = new StreamSink(f.io, false, false);
  await sink.write(encoder.encode("0123456789"));
  await sink.write(encoder.encode("abcdefg"));
  assert.equal(f.text(), "0123456789abcdefg");
  const batch = encoder.encode("XYZWV");
  const n = await sink.writeSome(batch);
  assert.equal(n, 3, "one socket write, its count as is");
  await sink.write(batch.subarray(n));
  assert.equal(f.text(), "0123456789abcdefgXYZWV");
  await sink.end(); // close-delimited: nothing to end with
  assert.equal(f.text(), "0123456789abcdefgXYZWV");
});

Deno.test("live sink: HTTP/1.1 framing of a body that is not chunked itself, then the last chunk", async () => {
  const f = fakeIo(4);
  const sink = new StreamSink(f.io, true, false);
  await sink.write(encoder.encode("hello"));
  await sink.write(new Uint8Array(0)); // never a "0" chunk mid-body
  assert.equal(await sink.writeSome(encoder.encode("abcdefghijklmnopq")), 17);
  await sink.end();
  assert.equal(
    f.text(),
    "5\r\nhello\r\n11\r\nabcdefghijklmnopq\r\n0\r\n\r\n",
  );
  // A body that frames its own chunks is written as it is.
  const g = fakeIo(100);
  const own = new StreamSink(g.io, true, true);
  assert.equal(await own.writeSome(encoder.encode("3\r\nabc\r\n")), 8);
  await own.end();
  assert.equal(g.text(), "3\r\nabc\r\n0\r\n\r\n");
});

Deno.test("live sink: abort closes the connection and resolves peerGone, asked before or after", async () => {
  const f = fakeIo(10);
  const early = new StreamSink(f.io, true, true);
  const gone = early.peerGone;
  early.abort();
  await gone;
  assert.ok(f.aborted());
  const g = fakeIo(10);
  const late = new StreamSink(g.io, true, true);
  late.abort();
  await late.peerGone; // made after the abort: resolved at once
  assert.ok(g.aborted());
});

Deno.test("http1: an HTTP-FLV viewer that leaves releases its connection and subscription", async () => {
  const engine = Engine.builder().build();
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    dashboard: false,
  });
  const controller = new AbortController();
  const served = engine.serve([http], controller.signal);
  const { port } = await http.listening;
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  const publishing = new AbortController();
  const paced = publishPaced(handle, {
    signal: publishing.signal,
    maxMs: 20_000,
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      encoder.encode("GET /live/cam.flv HTTP/1.1\r\nHost: x\r\n\r\n"),
    );
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    assert.ok(n !== null && n > 0);
    assert.match(decoder.decode(buf.subarray(0, n)), /^HTTP\/1\.1 200 OK/);
    assert.equal(http.connectionCount, 1);
    assert.equal(engine.subscriberCount, 1);
    conn.close();
    // The next batch's write fails: the viewer and its connection go.
    const deadline = performance.now() + 5_000;
    while (
      (http.connectionCount > 0 || engine.subscriberCount > 0) &&
      performance.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(http.connectionCount, 0);
    assert.equal(engine.subscriberCount, 0);
  } finally {
    publishing.abort();
    await paced;
    controller.abort();
    await served;
    await engine[Symbol.asyncDispose]();
  }
});
