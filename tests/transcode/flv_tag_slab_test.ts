// A rendition's FLV output read straight into slab pages (FlvTagSlab): in
// any split of the bytes the frames are FlvReader's, their bytes are never
// overwritten by a later read (pages are never reused), big tags get a page
// of their own, and bad input fails with a typed error only.
import assert from "node:assert/strict";
import { FlvMuxer, FlvReader } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { BitstreamError, StreamError } from "../../media/stream_error.ts";
import { FlvTagSlab } from "../../transcode/_flv_tag_slab.ts";
import { concatBytes } from "../fuzz/_harness.ts";
import { audioConfig, audioFrame, videoConfig, videoFrame } from "../_fakes.ts";

function flvFile(): Uint8Array {
  const muxer = new FlvMuxer();
  const vc = videoConfig(0), ac = audioConfig(0);
  muxer.configure(vc);
  muxer.configure(ac);
  const frames: MediaFrame[] = [];
  for (let i = 0; i < 60; i++) {
    // Sizes from 5 B to 70 KiB (a key frame bigger than a 16 KiB page).
    const size = i % 20 === 0 ? 70_000 : 5 + (i * 977) % 9000;
    frames.push(videoFrame(i * 40, i % 20 === 0, { size }));
    frames.push(audioFrame(i * 40 + 1, 20 + i));
  }
  // Distinct bytes per frame, so an overwrite would show.
  frames.forEach((f, i) =>
    f.data.forEach((_, j, d) => d[j] = (i * 31 + j) & 0xff)
  );
  return concatBytes([muxer.initSegment(), muxer.mux(frames)]);
}

/** Feed `file` in reads of the sizes `sizes()` gives, as a socket would. */
function readAll(
  file: Uint8Array,
  pageBytes: number,
  sizes: () => number,
): { frames: MediaFrame[]; copies: Uint8Array[]; pending: number } {
  const slab = new FlvTagSlab(pageBytes);
  const frames: MediaFrame[] = [];
  const copies: Uint8Array[] = [];
  for (let at = 0; at < file.length;) {
    const space = slab.space();
    assert.ok(space.length > 0);
    const n = Math.min(space.length, sizes(), file.length - at);
    space.set(file.subarray(at, at + n));
    at += n;
    for (const f of slab.commit(n)) {
      frames.push(f);
      copies.push(f.data.slice()); // what it held when handed out
    }
  }
  return { frames, copies, pending: slab.pendingBytes };
}

Deno.test("flv tag slab: any split of the reads gives FlvReader's frames, bytes never overwritten", () => {
  const file = flvFile();
  const expected = new FlvReader().push(file);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const splits: Array<[number, () => number]> = [
    [256 << 10, () => 64 << 10],
    [16 << 10, () => 1],
    [16 << 10, () => 1 + random() % 40_000],
    [64 << 10, () => 13],
    [32 << 10, () => 1 + random() % 3000],
  ];
  for (const [pageBytes, sizes] of splits) {
    const { frames, copies, pending } = readAll(file, pageBytes, sizes);
    assert.equal(pending, 0);
    assert.equal(frames.length, expected.length);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!, e = expected[i]!;
      assert.equal(f.kind, e.kind);
      assert.equal(f.dts, e.dts);
      assert.equal(f.pts, e.pts);
      assert.equal(f.keyframe, e.keyframe);
      assert.equal(f.config, e.config);
      assert.deepEqual(f.data, e.data);
      // Later reads did not write over a frame handed out earlier.
      assert.deepEqual(f.data, copies[i]);
    }
  }
});

Deno.test("flv tag slab: a partial tag waits; a tag bigger than a page gets its own", () => {
  const file = flvFile();
  const slab = new FlvTagSlab(16 << 10);
  // Header only: nothing yet.
  let space = slab.space();
  space.set(file.subarray(0, 10));
  assert.deepEqual(slab.commit(10), []);
  assert.equal(slab.pendingBytes, 10);
  let at = 10;
  const frames: MediaFrame[] = [];
  while (at < file.length) {
    space = slab.space();
    const n = Math.min(space.length, file.length - at);
    space.set(file.subarray(at, at + n));
    at += n;
    frames.push(...slab.commit(n));
  }
  assert.equal(frames.length, new FlvReader().push(file).length);
  const big = frames.filter((f) => f.data.length > 16 << 10);
  assert.equal(big.length, 3);
  for (const f of big) assert.ok(f.data.buffer.byteLength > 16 << 10);
  assert.equal(slab.pendingBytes, 0);
});

Deno.test("flv tag slab: mutated input fails with typed errors only", () => {
  const file = flvFile().subarray(0, 60_000);
  let seed = 11;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  let failures = 0;
  for (let round = 0; round < 200; round++) {
    const bytes = file.slice();
    for (let k = 0; k < 1 + random() % 8; k++) {
      bytes[random() % (round < 50 ? 40 : bytes.length)] = random() & 0xff;
    }
    try {
      readAll(bytes, 8 << 10, () => 1 + random() % 5000);
    } catch (error) {
      failures++;
      assert.ok(
        error instanceof StreamError || error instanceof BitstreamError,
        String(error),
      );
    }
  }
  assert.ok(failures > 0);
});

Deno.test("flv tag slab: a tag header claiming 16 MiB costs memory only as its bytes arrive (fuzz case: a 16 MiB page per claim took 53 ms)", () => {
  const header = Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0);
  // A video tag whose size field says 0xfffff0 bytes, then 100 of them.
  const tag = new Uint8Array(11 + 100);
  tag.set([9, 0xff, 0xff, 0xf0]);
  const slab = new FlvTagSlab(4096);
  for (const bytes of [header, tag]) {
    const space = slab.space();
    space.set(bytes);
    assert.deepEqual(slab.commit(bytes.length), []);
  }
  // Still the first page; a full page moves to one twice the bytes that
  // arrived (plus a read's minimum), never to the claimed 16 MiB.
  let arrived = slab.pendingBytes;
  assert.equal(arrived, 111);
  for (let i = 0; i < 8; i++) {
    const space = slab.space();
    assert.ok(
      space.length + arrived <= Math.max(4096, 2 * arrived) + (8 << 10),
      `page of ${space.length + arrived} bytes for ${arrived} arrived`,
    );
    space.fill(0);
    assert.deepEqual(slab.commit(space.length), []);
    arrived = slab.pendingBytes;
  }
  // 8 full pages later the tag is still incomplete and every page was
  // sized by its bytes (checked above), not by its claim.
  assert.ok(arrived > 100_000 && arrived < 0xfffff0 + 15);
});
