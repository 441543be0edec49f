// WriteQueue: writes go out whole and in order across partial socket writes;
// small parts are joined into one write, large ones go as they are; the first
// failure sticks; pendingBytes and drain() track what is in flight.
import assert from "node:assert/strict";
import { WriteQueue } from "../../../protocols/rtmp/_conn_io.ts";

/** A socket that writes at most `max` bytes per call, after a macrotask. */
function fakeConn(max: number, failAfter = Infinity) {
  const writes: Uint8Array[] = [];
  let calls = 0;
  const conn = {
    write(bytes: Uint8Array): Promise<number> {
      calls++;
      if (calls > failAfter) {
        return Promise.reject(new Deno.errors.BrokenPipe("gone"));
      }
      const n = Math.min(max, bytes.length);
      writes.push(bytes.slice(0, n));
      return new Promise((resolve) => setTimeout(() => resolve(n), 0));
    },
  } as unknown as Deno.Conn;
  const bytes = (): number[] => writes.flatMap((w) => [...w]);
  return { conn, writes, bytes, calls: () => calls };
}

function seq(from: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (from + i) & 0xff);
}

Deno.test("WriteQueue: concurrent writes go out whole and in order over partial socket writes", async () => {
  const socket = fakeConn(3);
  const written: number[] = [];
  const queue = new WriteQueue(socket.conn, (n) => written.push(n));
  const a = queue.write(seq(0, 10));
  const b = queue.write(seq(10, 5));
  assert.equal(queue.pendingBytes, 15);
  await Promise.all([a, b]);
  assert.deepEqual(socket.bytes(), [...seq(0, 15)]);
  assert.deepEqual(written, [10, 5]);
  assert.equal(queue.pendingBytes, 0);
  await queue.drain();
});

Deno.test("WriteQueue.writeParts: runs of small parts become one write, large parts go as they are", async () => {
  const socket = fakeConn(1 << 20);
  const queue = new WriteQueue(socket.conn);
  const big = seq(7, 20_000);
  await queue.writeParts([seq(0, 3), seq(3, 4), big, seq(1, 2)]);
  assert.deepEqual(socket.writes.map((w) => w.length), [7, 20_000, 2]);
  assert.deepEqual(
    socket.bytes(),
    [...seq(0, 7), ...big, ...seq(1, 2)],
  );
  await queue.writeParts([]);
  assert.equal(socket.calls(), 3);
});

Deno.test("WriteQueue: the first failure sticks; queued and later writes reject; drain() never rejects", async () => {
  const socket = fakeConn(1 << 20, 1);
  const queue = new WriteQueue(socket.conn);
  await queue.write(seq(0, 4));
  const failing = queue.write(seq(0, 4));
  const queued = queue.write(seq(0, 4));
  await assert.rejects(failing, Deno.errors.BrokenPipe);
  await assert.rejects(queued, Deno.errors.BrokenPipe);
  await assert.rejects(queue.write(seq(0, 1)), Deno.errors.BrokenPipe);
  await queue.drain();
  assert.equal(queue.pendingBytes, 0);
  assert.equal(socket.calls(), 2); // nothing after the failure reached the socket
});

Deno.test("WriteQueue.writeNow: a socket that takes the bytes at once costs no promise; the rest of a partial one, a busy queue or a failure go through write()", async () => {
  const socket = fakeConn(1 << 20);
  const taken: Uint8Array[] = [];
  let room = Infinity;
  let fail: Error | null = null;
  const conn = Object.assign(socket.conn, {
    tryWrite(bytes: Uint8Array): number {
      if (fail !== null) throw fail;
      const n = Math.min(room, bytes.length);
      taken.push(bytes.slice(0, n));
      room -= n;
      return n;
    },
  });
  const written: number[] = [];
  const queue = new WriteQueue(conn, (n) => written.push(n));
  assert.equal(queue.writeNow(seq(0, 10)), undefined); // whole, at once
  assert.deepEqual(written, [10]);
  assert.equal(socket.calls(), 0);
  room = 4; // a socket that takes only part: the rest is queued
  const rest = queue.writeNow(seq(10, 10));
  assert.ok(rest instanceof Promise);
  // while that is on the socket, a new batch waits its turn (no tryWrite)
  const after = queue.writeNow(seq(20, 3));
  assert.ok(after instanceof Promise);
  await Promise.all([rest, after]);
  assert.deepEqual(
    [...taken.flatMap((t) => [...t]), ...socket.bytes()],
    [...seq(0, 23)],
  );
  assert.deepEqual(written, [10, 4, 6, 3]);
  assert.equal(queue.pendingBytes, 0);
  fail = new Deno.errors.BrokenPipe("gone");
  room = Infinity;
  await assert.rejects(
    queue.writeNow(seq(0, 1)) ?? Promise.resolve(),
    Deno.errors.BrokenPipe,
  );
  await assert.rejects(queue.write(seq(0, 1)), Deno.errors.BrokenPipe); // it sticks
  // without tryWrite (Deno's own sockets) every write is a promise
  const plain = new WriteQueue(fakeConn(1 << 20).conn);
  const p = plain.writeNow(seq(0, 5));
  assert.ok(p instanceof Promise);
  await p;
});
