// serializeInto (issue 19): the FLV and RTMP egress formats write a frame's
// unit straight into the cache's slab; the bytes are exactly those of the
// buffer-of-its-own path, frames a format cannot carry take nothing, and
// consecutive units lie back to back in one slab.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import {
  flvBodyByteLength,
  flvTagByteLength,
  frameToFlvBody,
  frameToFlvTag,
  writeFlvTagInto,
} from "../../media/flv/mod.ts";
import { FlvTagCache, flvTagFormat } from "../../protocols/http/mod.ts";
import { FrameChunkCache, rtmpChunkFormat } from "../../protocols/rtmp/mod.ts";

function frame(
  dts: number,
  size: number,
  kind: "video" | "audio" = "video",
): MediaFrame {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + dts) & 0xff;
  return {
    kind,
    codec: kind === "video" ? "h264" : "aac",
    trackId: 0,
    pts: dts + 40,
    dts,
    timescale: 1000,
    keyframe: dts === 0,
    config: false,
    data,
  };
}

/** A take() that hands out views at odd offsets of one big buffer. */
function taker(): { take: (n: number) => Uint8Array; calls: number[] } {
  const buffer = new Uint8Array(1 << 20).fill(0xee);
  let pos = 3;
  const calls: number[] = [];
  return {
    calls,
    take(n: number): Uint8Array {
      calls.push(n);
      const view = buffer.subarray(pos, pos + n);
      pos += n + 5;
      return view;
    },
  };
}

Deno.test("writeFlvTagInto writes frameToFlvTag's bytes at an offset and refuses a short buffer", () => {
  const f = frame(1000, 300);
  const length = flvTagByteLength(flvBodyByteLength(f));
  const dst = new Uint8Array(length + 9);
  assert.equal(writeFlvTagInto(f, dst, 9), dst.length);
  assert.deepEqual(dst.subarray(9), frameToFlvTag(f));
  assert.deepEqual([...dst.subarray(0, 9)], new Array(9).fill(0));
  assert.throws(() => writeFlvTagInto(f, dst, 10), RangeError);
});

Deno.test("flvTagFormat.serializeInto: the same bytes as serialize; VVC takes nothing", () => {
  const { take, calls } = taker();
  for (const size of [0, 1, 200, 5000]) {
    const f = frame(40 * size, size, size % 2 === 0 ? "video" : "audio");
    const view = flvTagFormat.serializeInto!(f, take);
    assert.ok(view !== null);
    assert.deepEqual(view, flvTagFormat.serialize(f));
  }
  const vvc = { ...frame(0, 10), codec: "vvc" } as MediaFrame;
  assert.equal(flvTagFormat.serializeInto!(vvc, take), null);
  assert.equal(calls.length, 4);
});

Deno.test("rtmpChunkFormat.serialize: the body spread in place over its chunks equals the chunked body, for sizes around the chunk size", () => {
  const chunkSize = 128;
  // (the chain writes the body at the end of the unit and moves each chunk
  // into place; serializeInto does the same in the view it is handed)
  const own = rtmpChunkFormat(chunkSize);
  const into = rtmpChunkFormat(chunkSize);
  const { take, calls } = taker();
  const sizes = [1, 122, 123, 124, 250, 251, 252, 400, 1000, 4096];
  let dts = 0;
  for (const size of sizes) {
    const f = frame(dts, size);
    dts += 40;
    const a = own.serialize(f)!;
    // independent check: 8-byte type-1 header, then the FLV body cut into
    // chunkSize pieces, each after a fmt-3 basic header
    const body = frameToFlvBody(f);
    assert.equal(a[7], 9);
    assert.equal((a[4]! << 16) | (a[5]! << 8) | a[6]!, body.length);
    const expected: number[] = [];
    for (let p = 0; p < body.length; p += chunkSize) {
      if (p > 0) expected.push(0xc0 | (a[0]! & 0x3f));
      expected.push(...body.subarray(p, p + chunkSize));
    }
    assert.deepEqual([...a.subarray(8)], expected, `payload ${size}`);
    assert.deepEqual(into.serializeInto!(f, take), a, "serializeInto: same");
  }
  const vvc = { ...frame(dts, 10), codec: "vvc" } as MediaFrame;
  assert.equal(own.serialize(vvc), null);
  assert.equal(into.serializeInto!(vvc, take), null, "nothing taken");
  assert.equal(calls.length, sizes.length);
});

Deno.test("FlvTagCache and FrameChunkCache keep consecutive units back to back in one slab; a batch is a view", () => {
  for (const cache of [new FlvTagCache(), new FrameChunkCache(128)]) {
    const frames = [frame(0, 500), frame(40, 20, "audio"), frame(80, 300)];
    const units = frames.map((f) => cache.bytesOf(f));
    assert.equal(units[0]!.buffer, units[2]!.buffer);
    assert.equal(units[1]!.byteOffset, units[0]!.byteOffset + units[0]!.length);
    const batch = cache.batch(frames);
    assert.equal(batch.buffer, units[0]!.buffer);
    assert.equal(cache.serialized, 3);
    assert.equal(cache.viewed, 1);
  }
  const flv = new FlvTagCache();
  const f = frame(0, 777);
  assert.deepEqual(flv.tagOf(f), frameToFlvTag(f));
});
