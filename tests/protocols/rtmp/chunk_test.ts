import assert from "node:assert/strict";
import {
  chunkedByteLength,
  ChunkReader,
  MAX_CHUNK_STREAMS,
  type RtmpMessage,
  setChunkSizeMessage,
  writeChunks,
} from "../../../protocols/rtmp/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";

function payload(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function feedInPieces(reader: ChunkReader, bytes: Uint8Array, piece: number) {
  const out: RtmpMessage[] = [];
  for (let p = 0; p < bytes.length; p += piece) {
    out.push(...reader.feed(bytes.subarray(p, p + piece)));
  }
  return out;
}

const isCode = (code: string) => (e: unknown) =>
  e instanceof StreamError && e.code === code;

Deno.test("ChunkReader reassembles messages across any read boundary", () => {
  const cases = [
    { csid: 3, size: 0, ts: 0 },
    { csid: 4, size: 1, ts: 10 },
    { csid: 63, size: 128, ts: 20 },
    { csid: 64, size: 129, ts: 0xfffffe },
    { csid: 319, size: 1000, ts: 0xffffff },
    { csid: 320, size: 5000, ts: 0x12345678 },
    { csid: 65599, size: 300, ts: 0xffffffff },
  ];
  for (const piece of [1, 7, 128, 100000]) {
    const reader = new ChunkReader();
    const parts = cases.map((c) =>
      writeChunks(
        { csid: c.csid, typeId: 9, streamId: 1, timestamp: c.ts },
        payload(c.size, c.csid),
        128,
      )
    );
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const messages = feedInPieces(reader, all, piece);
    assert.equal(messages.length, cases.length, `piece ${piece}`);
    cases.forEach((c, i) => {
      const m = messages[i]!;
      assert.equal(m.csid, c.csid);
      assert.equal(m.timestamp, c.ts);
      assert.equal(m.streamId, 1);
      assert.deepEqual(m.payload, payload(c.size, c.csid));
    });
  }
});

Deno.test("ChunkReader reads type 1, 2 and 3 headers with deltas and extended timestamps on type-3 chunks", () => {
  // Hand-built: fmt0 ts=1000 len=4 type 8 on csid 4; fmt2 delta 33; fmt3 new
  // message (reuses delta); then an extended-timestamp message split in two
  // chunks, whose type-3 continuation repeats the extended timestamp.
  const bytes = [
    0x04,
    0x00,
    0x03,
    0xe8,
    0x00,
    0x00,
    0x04,
    0x08,
    1,
    0,
    0,
    0,
    1,
    2,
    3,
    4,
    0x84,
    0x00,
    0x00,
    0x21,
    5,
    6,
    7,
    8,
    0xc4,
    9,
    10,
    11,
    12,
    0x44,
    0xff,
    0xff,
    0xff,
    0x00,
    0x00,
    0x03,
    0x08,
    0x01,
    0x00,
    0x00,
    0x00,
    13,
  ];
  const r = new ChunkReader();
  r.setChunkSize(4);
  const ms = r.feed(new Uint8Array(bytes.slice(0, 29)));
  assert.deepEqual(ms.map((m) => m.timestamp), [1000, 1033, 1066]);
  r.setChunkSize(1);
  assert.equal(r.feed(new Uint8Array(bytes.slice(29))).length, 0);
  // type-3 continuations of the extended message repeat the extended timestamp
  const rest = r.feed(
    new Uint8Array([0xc4, 1, 0, 0, 0, 14, 0xc4, 1, 0, 0, 0, 15]),
  );
  assert.equal(rest.length, 1);
  assert.equal(rest[0]!.timestamp, (1066 + 0x01000000) >>> 0);
  assert.deepEqual(rest[0]!.payload, new Uint8Array([13, 14, 15]));
});

Deno.test("ChunkReader applies Set Chunk Size at the chunk where it arrives", () => {
  const reader = new ChunkReader();
  const big = payload(4096);
  const bytes = [
    setChunkSizeMessage(4096),
    writeChunks({ csid: 6, typeId: 9, streamId: 1, timestamp: 0 }, big, 4096),
  ];
  const ms = reader.feed(new Uint8Array([...bytes[0]!, ...bytes[1]!]));
  assert.equal(reader.chunkSize, 4096);
  assert.equal(ms.length, 2);
  assert.deepEqual(ms[1]!.payload, big);
});

Deno.test("ChunkReader refuses chunk size 0 and 2^31", () => {
  for (const size of [0, 0x80000000]) {
    const body = new Uint8Array(4);
    new DataView(body.buffer).setUint32(0, size);
    const bytes = writeChunks(
      { csid: 2, typeId: 1, streamId: 0, timestamp: 0 },
      body,
      128,
    );
    assert.throws(() => new ChunkReader().feed(bytes), isCode("Protocol"));
  }
});

Deno.test("ChunkReader Abort discards the partial message", () => {
  const reader = new ChunkReader();
  const msg = writeChunks(
    { csid: 6, typeId: 9, streamId: 1, timestamp: 0 },
    payload(300),
    128,
  );
  assert.equal(reader.feed(msg.subarray(0, 12 + 128)).length, 0);
  const abort = new Uint8Array(4);
  abort[3] = 6;
  reader.feed(
    writeChunks({ csid: 2, typeId: 2, streamId: 0, timestamp: 0 }, abort, 128),
  );
  // a fresh message on csid 6 now starts cleanly
  const again = reader.feed(
    writeChunks(
      { csid: 6, typeId: 9, streamId: 1, timestamp: 5 },
      payload(3),
      128,
    ),
  );
  assert.equal(again.length, 1);
  assert.equal(again[0]!.payload.length, 3);
});

Deno.test("ChunkReader limits chunk streams, message size and reassembly memory", () => {
  const reader = new ChunkReader();
  const bytes: number[] = [];
  for (let csid = 3; csid < 3 + MAX_CHUNK_STREAMS + 1; csid++) {
    bytes.push(
      ...writeChunks(
        { csid, typeId: 9, streamId: 1, timestamp: 0 },
        new Uint8Array(1),
        128,
      ),
    );
  }
  assert.throws(
    () => reader.feed(new Uint8Array(bytes)),
    isCode("LimitExceeded"),
  );

  const huge = new Uint8Array([0x06, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]);
  assert.throws(
    () => new ChunkReader({ maxMessageBytes: 1 << 20 }).feed(huge),
    isCode("LimitExceeded"),
  );
  // 16 MiB messages started on three chunk streams exceed MAX_ASSEMBLY_BYTES
  const r = new ChunkReader();
  r.setChunkSize(1);
  const starts: number[] = [];
  for (const csid of [4, 5, 6]) {
    starts.push(csid, 0, 0, 0, 0xff, 0xff, 0xf0, 9, 1, 0, 0, 0, 1);
  }
  assert.throws(() => r.feed(new Uint8Array(starts)), isCode("LimitExceeded"));
});

Deno.test("ChunkReader refuses a type-3 chunk on an unknown chunk stream", () => {
  assert.throws(
    () => new ChunkReader().feed(new Uint8Array([0xc7, 1])),
    isCode("Protocol"),
  );
});

Deno.test("chunkedByteLength() matches the bytes written", () => {
  for (const ts of [0, 0xffffff, 0x1_0000_0005]) {
    for (const size of [0, 1, 128, 129, 60000, 60001]) {
      const h = { csid: 300, typeId: 9, streamId: 1, timestamp: ts };
      assert.equal(
        writeChunks(h, new Uint8Array(size), 128).length,
        chunkedByteLength(h, size, 128),
      );
    }
  }
});
