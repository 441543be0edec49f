import assert from "node:assert/strict";
import { ByteSlab } from "../../src/byte_slab.ts";

Deno.test("byte slab: views share a buffer, never overlap, never reuse memory", () => {
  const slab = new ByteSlab(1024, { align: 8, ownAbove: 256 });
  const a = slab.place(new Uint8Array([1, 2, 3]));
  const b = slab.place(new Uint8Array(200).fill(9));
  assert.equal(a.buffer, b.buffer); // one allocation for both
  assert.deepEqual([...a], [1, 2, 3]);
  assert.equal(b.byteOffset, 8); // 8-byte aligned after `a`
  assert.ok(b.every((x) => x === 9));
  // Filling the slab starts a new one; the old views keep their bytes.
  const views = [a, b];
  for (let i = 0; i < 10; i++) {
    views.push(slab.place(new Uint8Array(200).fill(i)));
  }
  assert.notEqual(views.at(-1)!.buffer, a.buffer);
  assert.deepEqual([...a], [1, 2, 3]);
  assert.ok(b.every((x) => x === 9));
  for (let i = 0; i < 10; i++) assert.ok(views[i + 2]!.every((x) => x === i));
});

Deno.test("byte slab: a request over a quarter of the slab gets its own buffer", () => {
  const slab = new ByteSlab(1024, { align: 8, ownAbove: 256 });
  const small = slab.take(16);
  const big = slab.take(300);
  assert.notEqual(big.buffer, small.buffer);
  assert.equal(big.buffer.byteLength, 300);
  assert.equal(slab.take(16).buffer, small.buffer); // the slab goes on
});
