// ChunkReader lays audio/video payloads out in a shared slab: every payload
// is a view at its own offset, correct, and never overwritten by later
// messages; MediaIngest copies codec configuration out of the slab.
import assert from "node:assert/strict";
import {
  ChunkReader,
  MediaIngest,
  type RtmpMessage,
  RtmpSession,
  writeChunks,
} from "../../../protocols/rtmp/mod.ts";
import {
  commandMessage,
  createClientAck,
  createClientHello,
  MessageType,
} from "../../../protocols/rtmp/mod.ts";

function body(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

Deno.test("ChunkReader: media payloads share a slab at non-zero offsets and survive later messages", () => {
  const reader = new ChunkReader();
  const sent: Uint8Array[] = [];
  const got: RtmpMessage[] = [];
  // ~1.3 MB of interleaved audio/video: several slabs, messages of many sizes.
  for (let i = 0; i < 200; i++) {
    const video = body(i, 1000 + (i * 337) % 20000);
    const audio = body(i + 1000, 200 + i % 50);
    sent.push(video, audio);
    const bytes = [
      writeChunks(
        { csid: 6, typeId: 9, streamId: 1, timestamp: i * 40 },
        video,
        128,
      ),
      writeChunks(
        { csid: 4, typeId: 8, streamId: 1, timestamp: i * 40 },
        audio,
        128,
      ),
    ];
    for (const b of bytes) {
      // Odd TCP boundaries.
      for (let p = 0; p < b.length; p += 1000) {
        got.push(...reader.feed(b.subarray(p, p + 1000)));
      }
    }
  }
  // One 100 KB message (above the slab threshold) gets its own buffer.
  const big = body(7, 100_000);
  got.push(...reader.feed(
    writeChunks({ csid: 6, typeId: 9, streamId: 1, timestamp: 9000 }, big, 128),
  ));
  assert.equal(got.length, sent.length + 1);
  for (let i = 0; i < sent.length; i++) {
    assert.deepEqual(got[i]!.payload, sent[i], `message ${i}`);
  }
  assert.deepEqual(got.at(-1)!.payload, big);
  assert.equal(got.at(-1)!.payload.byteOffset, 0);
  const shifted = got.filter((m) => m.payload.byteOffset > 0).length;
  assert.ok(shifted > sent.length / 2, `${shifted} payloads at an offset`);
  assert.equal(got[1]!.payload.buffer, got[0]!.payload.buffer);
  const buffers = new Set(got.map((m) => m.payload.buffer));
  assert.ok(buffers.size < got.length / 4, `${buffers.size} buffers`);
});

Deno.test("MediaIngest: a sequence header is copied out of the slab, coded frames stay views", () => {
  const reader = new ChunkReader();
  const avcConfig = new Uint8Array([
    0x17,
    0,
    0,
    0,
    0, // keyframe, AVC sequence header
    1,
    0x64,
    0,
    0x1f,
    0xff,
    0xe1,
    0,
    4,
    0x67,
    0x64,
    0,
    0x1f,
    1,
    0,
    4,
    0x68,
    0xee,
    0x3c,
    0x80,
  ]);
  const nalu = new Uint8Array([0x17, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 0x88, 0x84]);
  const audio = new Uint8Array([0xaf, 1, 0x21, 0x10]);
  const messages = [
    ...reader.feed(
      writeChunks(
        { csid: 4, typeId: 8, streamId: 1, timestamp: 0 },
        audio,
        128,
      ),
    ),
    ...reader.feed(
      writeChunks(
        { csid: 6, typeId: 9, streamId: 1, timestamp: 0 },
        avcConfig,
        128,
      ),
    ),
    ...reader.feed(
      writeChunks({ csid: 6, typeId: 9, streamId: 1, timestamp: 0 }, nalu, 128),
    ),
  ];
  assert.equal(messages.length, 3);
  assert.ok(messages[1]!.payload.byteOffset > 0);
  const ingest = new MediaIngest();
  const [config] = ingest.toFrames(messages[1]!).frames;
  assert.equal(config?.config, true);
  assert.notEqual(config!.data.buffer, messages[1]!.payload.buffer);
  assert.deepEqual(config!.data, avcConfig.subarray(5));
  const [coded] = ingest.toFrames(messages[2]!).frames;
  assert.equal(coded?.config, false);
  assert.equal(coded!.data.buffer, messages[2]!.payload.buffer);
});

Deno.test("RtmpSession acknowledges by the window the peer set", () => {
  const session = new RtmpSession({ chunkSize: 4096 });
  const replies = new ChunkReader();
  const hs = session.feed(createClientHello());
  const s1 = (hs[0] as { bytes: Uint8Array }).bytes.subarray(1, 1537);
  session.feed(createClientAck(s1));
  const sent: RtmpMessage[] = [];
  const feed = (bytes: Uint8Array) => {
    for (const a of session.feed(bytes)) {
      if (a.type === "send") sent.push(...replies.feed(a.bytes));
    }
  };
  feed(commandMessage(["connect", 1, { app: "live" }]));
  // A peer window of 3000 bytes: acknowledgements follow every 3000 bytes.
  const win = new Uint8Array(8).subarray(4);
  new DataView(win.buffer, win.byteOffset).setUint32(0, 3000);
  feed(
    writeChunks({ csid: 2, typeId: 5, streamId: 0, timestamp: 0 }, win, 128),
  );
  const before = sent.filter((m) => m.typeId === MessageType.Acknowledgement)
    .length;
  feed(commandMessage(["bogusCall", 2, null, "x".repeat(3500)]));
  const acks = sent.filter((m) => m.typeId === MessageType.Acknowledgement);
  assert.equal(acks.length, before + 1);
});
