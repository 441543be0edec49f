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
