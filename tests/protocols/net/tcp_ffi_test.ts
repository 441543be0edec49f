// The FFI TCP backend against real peers: node:net and Deno.connect clients.
import assert from "node:assert/strict";
import * as net from "node:net";
import {
  FfiTcpConn,
  FfiTcpListener,
  isDisconnect,
  listenTcp,
  tcpFfiAvailable,
  tryWriteOf,
} from "../../../protocols/net/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";

const ignore = !tcpFfiAvailable();

async function readN(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await conn.read(out.subarray(at));
    if (got === null) throw new Error(`EOF after ${at} of ${n}`);
    at += got;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

Deno.test({
  name: "tcp ffi: echo to a node:net client, addresses, EOF",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    assert.equal(listener.addr.hostname, "127.0.0.1");
    assert.ok(listener.addr.port > 0);
    const echoed = (async () => {
      const conn = await listener.accept();
      assert.ok(conn instanceof FfiTcpConn);
      assert.equal(conn.remoteAddr.hostname, "127.0.0.1");
      assert.equal(conn.localAddr.port, listener.addr.port);
      conn.setNoDelay(true);
      const buf = new Uint8Array(4096);
      let total = 0;
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        total += n;
        await writeAll(conn, buf.subarray(0, n));
      }
      conn.close();
      return total;
    })();
    const socket = net.connect(listener.addr.port, "127.0.0.1");
    const payload = new Uint8Array(200_000).map((_, i) => (i * 7) & 255);
    const received: Uint8Array[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on("data", (d: Uint8Array) => received.push(d));
      socket.on("end", () => resolve());
      socket.on("error", reject);
    });
    socket.end(payload);
    await done;
    socket.destroy();
    assert.equal(await echoed, payload.length);
    assert.deepEqual(Buffer.concat(received), Buffer.from(payload));
    listener.close();
    await listener.idle();
  },
});

Deno.test({
  name:
    "tcp ffi: a large write to a peer that does not read (partial + EPOLLOUT)",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({ port: listener.addr.port });
    const conn = await listener.accept();
    const big = new Uint8Array(16 * 1024 * 1024).map((_, i) => i & 255);
    // The first write takes what fits in the socket buffers: partial.
    const first = await conn.write(big);
    assert.ok(first > 0 && first < big.length, `partial write, got ${first}`);
    // The rest waits for the peer to read (EPOLLOUT), then completes.
    const rest = writeAll(conn, big.subarray(first));
    let settled = false;
    void rest.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, "the write waits while the peer reads none");
    const got = await readN(client, big.length);
    await rest;
    assert.deepEqual(got, big);
    client.close();
    conn.close();
    listener.close();
    await listener.idle();
  },
});

Deno.test({
  name:
    "tcp ffi: tryWrite takes what fits without waiting, 0 when full, throws after close; tryWriteOf finds it",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({ port: listener.addr.port });
    const conn = await listener.accept();
    assert.ok(conn instanceof FfiTcpConn);
    assert.equal(tryWriteOf(client), undefined); // Deno's own socket cannot
    const tryWrite = tryWriteOf(conn)!;
    assert.equal(tryWrite(Uint8Array.of(1, 2, 3)), 3);
    assert.deepEqual(await readN(client, 3), Uint8Array.of(1, 2, 3));
    assert.equal(tryWrite(new Uint8Array(0)), 0);
    // a peer that reads nothing: the buffers fill, then 0 (no promise, no wait)
    const big = new Uint8Array(1 << 20);
    let taken = 0;
    let n: number;
    while ((n = conn.tryWrite(big)) > 0) taken += n;
    assert.equal(n, 0);
    assert.ok(taken > 0 && taken < 256 * big.length, `took ${taken}`);
    assert.deepEqual((await readN(client, taken)).length, taken);
    conn.close();
    assert.throws(() => conn.tryWrite(big), Deno.errors.BadResource);
    client.close();
    listener.close();
    await listener.idle();
  },
});

Deno.test({
  name: "tcp ffi: peer close gives null, a reset gives ConnectionReset",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    // Orderly close: a parked read resolves null.
    const a = await Deno.connect({ port: listener.addr.port });
    const conn = await listener.accept();
    const pending = conn.read(new Uint8Array(64));
    a.close();
    assert.equal(await pending, null);
    conn.close();
    // Reset (SO_LINGER 0 via node:net resetAndDestroy) after unread data.
    const b = net.connect(listener.addr.port, "127.0.0.1");
    await new Promise<void>((r) => b.on("connect", () => r()));
    const conn2 = await listener.accept();
    const parked = conn2.read(new Uint8Array(64));
    b.resetAndDestroy();
    const error = await parked.then(
      (n) => new Error(`read resolved ${n}`),
      (e: unknown) => e,
    );
    assert.ok(
      error instanceof Deno.errors.ConnectionReset,
      `expected ConnectionReset, got ${String(error)}`,
    );
    // Writes to the reset socket fail as a disconnect too.
    const w = await conn2.write(new Uint8Array(10)).then(
      () => null,
      (e: unknown) => e,
    );
    if (w !== null) assert.ok(isDisconnect(w), String(w));
    conn2.close();
    listener.close();
    await listener.idle();
  },
});

Deno.test({
  name: "tcp ffi: close while a read and an accept are pending; closed ops",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({ port: listener.addr.port });
    const conn = await listener.accept();
    const pending = conn.read(new Uint8Array(64));
    conn.close();
    await assert.rejects(pending, Deno.errors.Interrupted);
    await assert.rejects(conn.read(new Uint8Array(1)), Deno.errors.BadResource);
    await assert.rejects(
      conn.write(new Uint8Array(1)),
      Deno.errors.BadResource,
    );
    assert.throws(() => conn.close(), Deno.errors.BadResource);
    assert.equal(await client.read(new Uint8Array(8)), null);
    client.close();
    const accepting = listener.accept();
    listener.close();
    await assert.rejects(accepting, Deno.errors.BadResource);
    await listener.idle();
  },
});

Deno.test({
  name: "tcp ffi: 300 concurrent connections, each echoes its own bytes",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    const served: Promise<void>[] = [];
    const accepting = (async () => {
      for await (const conn of listener) {
        served.push((async () => {
          const buf = new Uint8Array(64);
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            await writeAll(conn, buf.subarray(0, n));
          }
          conn.close();
        })());
      }
    })();
    const N = 300;
    const clients = await Promise.all(
      Array.from(
        { length: N },
        () => Deno.connect({ port: listener.addr.port }),
      ),
    );
    await Promise.all(clients.map(async (c, i) => {
      const msg = new Uint8Array([i & 255, i >> 8, 1, 2, 3]);
      await writeAll(c, msg);
      assert.deepEqual(await readN(c, msg.length), msg);
    }));
    assert.equal(listener.openSockets, N + 1);
    for (const c of clients) c.close();
    await Promise.all(served);
    listener.close();
    await accepting;
    await listener.idle();
    assert.equal(listener.openSockets, 0);
  },
});

Deno.test({
  name: "tcp ffi: IPv6 loopback, readable/writable streams, closeWrite",
  ignore,
  async fn() {
    let listener: FfiTcpListener;
    try {
      listener = FfiTcpListener.listen({ hostname: "::1", port: 0 });
    } catch {
      return; // no IPv6 on this host
    }
    assert.equal(listener.addr.hostname, "::1");
    let client: Deno.TcpConn;
    try {
      client = await Deno.connect({
        hostname: "::1",
        port: listener.addr.port,
      });
    } catch {
      // no IPv6 permission (the test task allows 127.0.0.1 only)
      listener.close();
      await listener.idle();
      return;
    }
    const conn = await listener.accept();
    assert.equal(conn.remoteAddr.hostname, "::1");
    const writer = conn.writable.getWriter();
    await writer.write(new Uint8Array([9, 8, 7]));
    writer.releaseLock();
    assert.deepEqual(await readN(client, 3), new Uint8Array([9, 8, 7]));
    await client.write(new Uint8Array([1, 2]));
    await client.closeWrite();
    const chunks: number[] = [];
    for await (const chunk of conn.readable) chunks.push(...chunk);
    assert.deepEqual(chunks, [1, 2]);
    client.close();
    listener.close();
    await listener.idle();
  },
});

Deno.test({
  name:
    "tcp ffi: listenTcp selects the backend; bad hostnames are typed errors",
  ignore,
  async fn() {
    const ffi = listenTcp({ hostname: "127.0.0.1", port: 0, backend: "ffi" });
    assert.ok(ffi instanceof FfiTcpListener);
    assert.throws(
      () =>
        listenTcp({
          hostname: "127.0.0.1",
          port: ffi.addr.port,
          backend: "ffi",
        }),
      Deno.errors.AddrInUse,
    );
    ffi.close();
    const deno = listenTcp({ hostname: "127.0.0.1", port: 0 });
    assert.ok(!(deno instanceof FfiTcpListener));
    deno.close();
    assert.throws(
      () => FfiTcpListener.listen({ hostname: "example.com", port: 0 }),
      (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
    );
    await ffi.idle();
  },
});

Deno.test({
  name:
    "tcp ffi: after a short read the next read waits for the readable edge (ping-pong, pauses, EOF twice)",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({ port: listener.addr.port });
    const conn = await listener.accept();
    const buf = new Uint8Array(64);
    // Ping-pong: every read is short (the peer waits for our answer), so
    // each next read parks first and must still see the peer's next bytes.
    for (let round = 0; round < 200; round++) {
      await writeAll(client, new Uint8Array([round & 255, 1, 2]));
      const n = await conn.read(buf);
      assert.equal(n, 3, `round ${round}`);
      assert.equal(buf[0], round & 255);
      await writeAll(conn, buf.subarray(0, 1));
      assert.deepEqual(await readN(client, 1), new Uint8Array([round & 255]));
    }
    // A read parked before the bytes exist, then bytes after a pause.
    const parked = conn.read(buf);
    await new Promise((r) => setTimeout(r, 30));
    await writeAll(client, new Uint8Array([9, 9]));
    assert.equal(await parked, 2);
    // Bytes that arrived while nobody read (the edge came with no reader).
    await writeAll(client, new Uint8Array([7]));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(await conn.read(buf), 1);
    // A read that fills `p` leaves the rest to the next read without a wait.
    await writeAll(client, new Uint8Array(100).fill(5));
    await new Promise((r) => setTimeout(r, 30));
    let got = 0;
    while (got < 100) got += (await conn.read(buf))!;
    assert.equal(got, 100);
    // The last bytes and the FIN in one edge: the short read of the bytes
    // must not make the next read wait for an edge that never comes.
    await writeAll(client, new Uint8Array([1, 2, 3, 4, 5]));
    await client.closeWrite();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(await conn.read(buf), 5);
    assert.equal(await conn.read(buf), null);
    assert.equal(await conn.read(buf), null, "end of stream stays readable");
    client.close();
    conn.close();
    listener.close();
    await listener.idle();
  },
});
