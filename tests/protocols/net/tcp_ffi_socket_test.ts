// FfiTcpSocket (acceptUnwatched): a socket off the poller, read and written
// synchronously, against Deno.connect peers.
import assert from "node:assert/strict";
import {
  FfiTcpListener,
  FfiTcpSocket,
  tcpFfiAvailable,
  TRY_AGAIN,
} from "../../../protocols/net/mod.ts";

const ignore = !tcpFfiAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `f` every 5 ms until it returns something other than TRY_AGAIN (2 s bound). */
async function until(f: () => number): Promise<number> {
  const end = Date.now() + 2000;
  for (;;) {
    const n = f();
    if (n !== TRY_AGAIN) return n;
    if (Date.now() > end) throw new Error("timed out");
    await sleep(5);
  }
}

Deno.test({
  name:
    "tcp ffi socket: accepted off the poller; tryRead -1 / bytes / 0 at EOF; the listener's epoll ends with it open",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
    });
    const socket = await listener.acceptUnwatched();
    assert.ok(socket instanceof FfiTcpSocket);
    assert.equal(socket.remoteAddr.hostname, "127.0.0.1");
    // Only the listener is registered: the socket never was.
    assert.equal(listener.openSockets, 1);
    listener.close();
    assert.equal(listener.openSockets, 0);
    await listener.idle(); // the poller stopped although the socket is open
    const buf = new Uint8Array(64 << 10);
    assert.equal(socket.tryRead(buf), TRY_AGAIN);
    const payload = new Uint8Array(100_000).map((_, i) => (i * 13) & 255);
    const sent = (async () => {
      for (let at = 0; at < payload.length;) {
        at += await client.write(payload.subarray(at));
      }
      client.close();
    })();
    const got: number[] = [];
    let total = 0;
    for (;;) {
      const n = await until(() => socket.tryRead(buf.subarray(0, 7000)));
      if (n === 0) break;
      for (let i = 0; i < n; i++) got.push(buf[i]!);
      total += n;
    }
    await sent;
    assert.equal(total, payload.length);
    assert.deepEqual(new Uint8Array(got), payload);
    assert.equal(socket.tryRead(buf), 0); // EOF stays EOF
    socket.close();
    assert.equal(socket.closed, true);
    assert.throws(() => socket.tryRead(buf), Deno.errors.BadResource);
    assert.throws(() => socket.trySend(buf), Deno.errors.BadResource);
    assert.throws(() => socket.close(), Deno.errors.BadResource);
  },
});

Deno.test({
  name:
    "tcp ffi socket: trySend fills the socket to -1 (partial counts), the peer gets every byte; closeWrite ends its read; a closed peer fails the send",
  ignore,
  async fn() {
    const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
    });
    const socket = await listener.acceptUnwatched();
    listener.close();
    const chunk = new Uint8Array(256 << 10).map((_, i) => i & 255);
    let sent = 0;
    let calls = 0;
    for (; calls < 1000; calls++) {
      const n = socket.trySend(chunk);
      if (n === TRY_AGAIN) break;
      assert.ok(n > 0 && n <= chunk.length);
      sent += n;
    }
    assert.ok(calls < 1000, "the socket buffer filled");
    assert.ok(sent > 0);
    // The peer drains; then the rest goes with closeWrite.
    const read = (async () => {
      const buf = new Uint8Array(64 << 10);
      let total = 0;
      for (;;) {
        const n = await client.read(buf);
        if (n === null) return total;
        total += n;
      }
    })();
    const tail = chunk.subarray(0, 1000);
    const n = await until(() => socket.trySend(tail));
    assert.ok(n > 0);
    socket.closeWrite();
    assert.equal(await read, sent + n);
    client.close();
    // The peer is gone: a send fails with the backend's error class.
    const failed = await (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          socket.trySend(tail);
        } catch (error) {
          return error;
        }
        await sleep(5);
      }
      return undefined;
    })();
    assert.ok(
      failed instanceof Deno.errors.BrokenPipe ||
        failed instanceof Deno.errors.ConnectionReset,
      String(failed),
    );
    socket.close();
  },
});
