// UdpBatchSocket (sendmmsg/recvmmsg through Deno FFI) against node:dgram
// peers: batches both ways, the bounded send queue, close while the waiter
// polls, odd sizes and refused datagrams, many sockets in one shared epoll
// waiter (EAGAIN: udp_batch_eagain_test.ts). Needs
// --allow-ffi (ignored without it, as on non-Linux hosts).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import type { Buffer } from "node:buffer";
import {
  udpBatchAvailable,
  UdpBatchSocket,
  UdpBatchWaiter,
} from "../../../protocols/net/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";

const ignore = !udpBatchAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function peer(): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  return socket;
}

/** Wait (bounded) until `ok()`. */
async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!ok() && performance.now() < end) await sleep(5);
}

function datagram(i: number, size: number): Uint8Array {
  const d = new Uint8Array(size);
  const v = new DataView(d.buffer);
  if (size >= 4) v.setUint32(0, i);
  for (let k = 4; k < size; k++) d[k] = (i + k) & 255;
  return d;
}

Deno.test({
  name:
    "udp batch: 3,000 datagrams of mixed sizes reach a node:dgram peer in order, in few sendmmsg calls",
  ignore,
  async fn() {
    const p = await peer();
    const got: Buffer[] = [];
    p.on("message", (m: Buffer) => got.push(m));
    const socket = UdpBatchSocket.bind({ hostname: "127.0.0.1" });
    const port = (p.address() as { port: number }).port;
    const sizes = [4, 1, 0, 1200, 1472, 9000, 100];
    let dones = 0;
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 3_000; i++) {
      const d = datagram(i, i < 7 ? sizes[i]! : 4 + (i % 1300));
      sent.push(d);
      assert.equal(socket.send(d, "127.0.0.1", port, () => dones++), true);
      // Bursts of 40 with at most 20 left unread: the peer's receive buffer
      // is the system's 212,992 B whatever setRecvBufferSize says (Deno's
      // node:dgram does not apply it), ~90 of these datagrams.
      if (i % 40 === 39) await until(() => got.length > i - 20, 1_000);
    }
    await until(() => got.length === 3_000);
    assert.equal(dones, 3_000);
    assert.equal(socket.stats.sent, 3_000);
    assert.equal(got.length, 3_000);
    for (let i = 0; i < 3_000; i++) {
      assert.deepEqual(new Uint8Array(got[i]!), sent[i], `datagram ${i}`);
    }
    assert.ok(
      socket.stats.sendCalls <= 100,
      `sendmmsg calls ${socket.stats.sendCalls}`,
    );
    await socket.close();
    p.close();
  },
});

Deno.test({
  name:
    "udp batch: receives batches with their sources; longer than maxDatagram is dropped and counted; empty datagrams pass",
  ignore,
  async fn() {
    const socket = UdpBatchSocket.bind({
      hostname: "127.0.0.1",
      maxDatagram: 256,
      receiveBufferSize: 1 << 20,
    });
    const got: [Uint8Array, string, number][] = [];
    socket.onMessage = (d, h, port) => got.push([d, h, port]);
    const p = await peer();
    const from = (p.address() as { port: number }).port;
    for (let i = 0; i < 500; i++) {
      p.send(datagram(i, 4 + (i % 200)), socket.port, "127.0.0.1");
    }
    p.send(new Uint8Array(1_000), socket.port, "127.0.0.1"); // too long
    p.send(new Uint8Array(0), socket.port, "127.0.0.1");
    await until(() => got.length === 501 && socket.stats.truncated === 1);
    assert.equal(got.length, 501);
    assert.equal(socket.stats.truncated, 1);
    // Deno's node:dgram may send a burst out of order: compare by index.
    const byIndex = new Map<number, Uint8Array>();
    let empty = 0;
    for (const [d, h, port] of got) {
      assert.equal(h, "127.0.0.1");
      assert.equal(port, from);
      if (d.length === 0) empty++;
      else byIndex.set(new DataView(d.buffer, d.byteOffset).getUint32(0), d);
    }
    assert.equal(empty, 1);
    for (let i = 0; i < 500; i++) {
      assert.deepEqual(byIndex.get(i), datagram(i, 4 + (i % 200)));
    }
    // Batches: fewer recvmmsg calls than datagrams (the peer sends in bursts).
    assert.ok(socket.stats.receiveCalls < 501);
    // A handler that throws does not stop the socket.
    socket.onMessage = () => {
      throw new Error("handler");
    };
    p.send(new Uint8Array([1]), socket.port, "127.0.0.1");
    await until(() => socket.stats.received === 502);
    socket.onMessage = (d, h, port) => got.push([d, h, port]);
    p.send(new Uint8Array([2]), socket.port, "127.0.0.1");
    await until(() => got.length === 502);
    assert.deepEqual(got[501]![0], new Uint8Array([2]));
    await socket.close();
    p.close();
  },
});

Deno.test({
  name:
    "udp batch: the send queue is bounded (refused sends counted, done called); what arrives is in order",
  ignore,
  async fn() {
    const p = await peer();
    p.setRecvBufferSize(4 << 20);
    const got: number[] = [];
    p.on("message", (m: Buffer) => got.push(m.readUInt32BE(0)));
    const port = (p.address() as { port: number }).port;
    const socket = UdpBatchSocket.bind({
      hostname: "127.0.0.1",
      maxQueue: 1_000,
      maxBatch: 1_024,
    });
    let dones = 0;
    let accepted = 0;
    for (let i = 0; i < 1_200; i++) {
      if (socket.send(datagram(i, 1_200), "127.0.0.1", port, () => dones++)) {
        accepted++;
      }
    }
    assert.equal(accepted, 1_000); // bounded: 200 refused at once
    assert.equal(socket.stats.sendDropped, 200);
    await until(() => dones === 1_200 && socket.queued === 0, 5_000);
    assert.equal(dones, 1_200);
    assert.equal(socket.stats.sent, 1_000);
    // (EAGAIN needs a queueing device: see udp_batch_eagain_test.ts.)
    await until(() => got.length >= 1_000, 500);
    // What the peer got is in order (its own buffer may drop, never reorder).
    for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!);
    await socket.close();
    p.close();
  },
});

Deno.test({
  name:
    "udp batch: close while the waiter polls returns at once; queued sends are dropped with done called; idempotent",
  ignore,
  async fn() {
    for (let i = 0; i < 5; i++) {
      const socket = UdpBatchSocket.bind({ hostname: "127.0.0.1" });
      await sleep(20); // the poll is waiting now
      const t0 = performance.now();
      let done = 0;
      socket.send(new Uint8Array(10), "127.0.0.1", 9, () => done++);
      await socket.close();
      // The waiter polls with a 5 s timeout: the eventfd wakes it at once.
      assert.ok(performance.now() - t0 < 2_000, "close did not hang");
      assert.equal(done, 1);
      await socket.close();
      assert.equal(
        socket.send(new Uint8Array(1), "127.0.0.1", 9, () => done++),
        false,
      );
      assert.equal(done, 2);
    }
  },
});

Deno.test({
  name:
    "udp batch: refused datagrams (too long, port 0, not IPv4) are counted and do not stop the batch",
  ignore,
  async fn() {
    const p = await peer();
    const got: number[] = [];
    p.on("message", (m: Buffer) => got.push(m.length));
    const port = (p.address() as { port: number }).port;
    const socket = UdpBatchSocket.bind({ hostname: "127.0.0.1" });
    let dones = 0;
    const done = () => dones++;
    socket.send(new Uint8Array(10), "127.0.0.1", port, done);
    socket.send(new Uint8Array(70_000), "127.0.0.1", port, done); // EMSGSIZE
    socket.send(new Uint8Array(11), "127.0.0.1", 0, done); // EINVAL
    assert.equal(socket.send(new Uint8Array(12), "::1", port, done), false);
    assert.equal(socket.send(new Uint8Array(13), "a.b.c.d", port, done), false);
    socket.send(new Uint8Array(14), "127.0.0.1", port, done);
    await until(() => got.length === 2);
    assert.deepEqual(got, [10, 14]);
    assert.equal(dones, 6);
    assert.equal(socket.stats.sendErrors, 2);
    assert.equal(socket.stats.sendDropped, 2);
    await socket.close();
    p.close();
  },
});

Deno.test({
  name: "udp batch: bad addresses are InvalidInput, a taken port Unavailable",
  ignore,
  fn() {
    for (const hostname of ["::1", "300.1.1.1", "example.com"]) {
      assert.throws(
        () => UdpBatchSocket.bind({ hostname }),
        (e) => e instanceof StreamError && e.code === "InvalidInput",
      );
    }
    assert.throws(
      () => UdpBatchSocket.bind({ hostname: "127.0.0.1", port: 70_000 }),
      (e) => e instanceof StreamError && e.code === "InvalidInput",
    );
    const a = UdpBatchSocket.bind({ hostname: "127.0.0.1" });
    assert.throws(
      () => UdpBatchSocket.bind({ hostname: "127.0.0.1", port: a.port }),
      (e) => e instanceof StreamError && e.code === "Unavailable",
    );
    return a.close();
  },
});

Deno.test({
  name:
    "udp batch: 50 sockets in one shared epoll waiter each receive their datagrams; closing is prompt",
  ignore,
  async fn() {
    const waiter = UdpBatchWaiter.create();
    const sender = UdpBatchSocket.bind({ hostname: "127.0.0.1", waiter });
    const sockets = Array.from(
      { length: 50 },
      () => UdpBatchSocket.bind({ hostname: "127.0.0.1", waiter }),
    );
    assert.equal(waiter.size, 51);
    const got = sockets.map(() => [] as number[]);
    sockets.forEach((s, i) => {
      s.onMessage = (d) => got[i]!.push(d[0]!);
    });
    for (let round = 0; round < 20; round++) {
      for (const s of sockets) {
        sender.send(new Uint8Array([round]), "127.0.0.1", s.port);
      }
      await sleep(1);
    }
    await until(() => got.every((g) => g.length === 20));
    for (const g of got) {
      assert.deepEqual(g, Array.from({ length: 20 }, (_, i) => i));
    }
    // A reply through the waiter reaches the sender too.
    const back = new Promise<Uint8Array>((r) => sender.onMessage = (d) => r(d));
    sockets[7]!.send(new Uint8Array([42]), "127.0.0.1", sender.port);
    assert.deepEqual(await back, new Uint8Array([42]));
    const t0 = performance.now();
    for (const s of sockets) await s.close();
    await sender.close();
    assert.equal(waiter.size, 0);
    await waiter.close();
    assert.ok(performance.now() - t0 < 2_000);
  },
});

Deno.test({
  name:
    "udp batch: borrow hands a view of the receive slot (no copy), with the right bytes",
  ignore,
  async fn() {
    const rx = UdpBatchSocket.bind({ hostname: "127.0.0.1", borrow: true });
    const tx = UdpBatchSocket.bind({ hostname: "127.0.0.1" });
    const seen: [number, number, number[]][] = [];
    rx.onMessage = (d) => seen.push([d.length, d.buffer.byteLength, [...d]]);
    tx.send(new Uint8Array([1, 2, 3]), "127.0.0.1", rx.port);
    tx.send(new Uint8Array([4, 5]), "127.0.0.1", rx.port);
    await until(() => seen.length === 2);
    assert.deepEqual(seen.map(([n, , b]) => [n, b]), [[3, [1, 2, 3]], [2, [
      4,
      5,
    ]]]);
    assert.ok(seen.every(([n, size]) => size > n), "a view, not a copy");
    await rx.close();
    await tx.close();
  },
});
