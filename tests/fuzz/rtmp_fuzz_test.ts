// Seeded mutation fuzzing of the RTMP server session and chunk reader: any
// input either yields actions or throws StreamError (never TypeError,
// RangeError or a hang). Short mode runs in the normal suite; FUZZ_LONG=1
// runs many more cases.
import assert from "node:assert/strict";
import { Amf0EcmaArray, encodeAmf0 } from "../../media/flv/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import {
  ChunkReader,
  commandMessage,
  createClientAck,
  createClientHello,
  RtmpSession,
  setChunkSizeMessage,
  writeChunks,
} from "../../protocols/rtmp/mod.ts";

const LONG = Deno.env.get("FUZZ_LONG") === "1";
const CASES = LONG ? 20_000 : 400;

/** xorshift32: deterministic, so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A valid publisher byte stream after the handshake. */
function validStream(): Uint8Array {
  const media = (typeId: number, ts: number, body: number[]) =>
    writeChunks(
      { csid: typeId === 9 ? 6 : 4, typeId, streamId: 1, timestamp: ts },
      new Uint8Array(body),
      256,
    );
  return concat([
    setChunkSizeMessage(256),
    commandMessage(["connect", 1, { app: "live", tcUrl: "rtmp://x/live" }], {
      chunkSize: 256,
    }),
    commandMessage(["createStream", 2, null], { chunkSize: 256 }),
    commandMessage(["publish", 3, null, "cam?token=a", "live"], {
      streamId: 1,
      chunkSize: 256,
    }),
    writeChunks(
      { csid: 5, typeId: 18, streamId: 1, timestamp: 0 },
      encodeAmf0([
        "@setDataFrame",
        "onMetaData",
        new Amf0EcmaArray({ width: 64, height: 64 }),
      ]),
      256,
    ),
    media(9, 0, [
      0x17,
      0,
      0,
      0,
      0,
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
      2,
      0x68,
      0xee,
    ]),
    media(8, 0, [0xaf, 0, 0x12, 0x10]),
    media(9, 40, [
      0x17,
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      2,
      0x65,
      0x88,
      ...new Array(300).fill(7),
    ]),
    media(9, 0xffffff + 5, [0x91, 0x68, 0x76, 0x63, 0x31, 0, 0, 40, 0xaa]),
  ]);
}

function mutate(base: Uint8Array, next: () => number): Uint8Array {
  const out = base.slice();
  const edits = 1 + Math.floor(next() * 8);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * out.length);
    const r = next();
    if (r < 0.6) out[at] = Math.floor(next() * 256);
    else if (r < 0.8) {
      out[at] = [0, 0xff, 0x7f, 0x80, 0x03, 0xc0][Math.floor(next() * 6)]!;
    } else return out.subarray(0, at); // truncation
  }
  return out;
}

function feedAll(
  target: { feed(b: Uint8Array): unknown },
  bytes: Uint8Array,
  next: () => number,
) {
  let p = 0;
  while (p < bytes.length) {
    const n = 1 + Math.floor(next() * 700);
    target.feed(bytes.subarray(p, p + n));
    p += n;
  }
}

function expectOnlyStreamErrors(run: () => void, seed: number): void {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof StreamError, `seed ${seed}: ${error}`);
  }
}

Deno.test("fuzz: RtmpSession takes mutated publisher streams without crashing", () => {
  const body = validStream();
  for (let seed = 1; seed <= CASES; seed++) {
    const next = rng(seed);
    const session = new RtmpSession();
    const hello = createClientHello();
    const s = (session.feed(hello)[0] as { bytes: Uint8Array }).bytes;
    session.feed(createClientAck(s.subarray(1, 1537)));
    expectOnlyStreamErrors(() => {
      // accept the publish whenever it is asked for, so media paths run too
      let p = 0;
      const bytes = mutate(body, next);
      while (p < bytes.length) {
        const n = 1 + Math.floor(next() * 700);
        for (const a of session.feed(bytes.subarray(p, p + n))) {
          if (a.type === "publish") session.acceptPublish();
        }
        p += n;
      }
    }, seed);
  }
});

Deno.test("fuzz: mutated handshakes and random chunk bytes only raise StreamError", () => {
  for (let seed = 1; seed <= CASES; seed++) {
    const next = rng(seed * 7919);
    expectOnlyStreamErrors(
      () => feedAll(new RtmpSession(), mutate(createClientHello(), next), next),
      seed,
    );
    const junk = new Uint8Array(Math.floor(next() * 4096));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(next() * 256);
    expectOnlyStreamErrors(() => feedAll(new ChunkReader(), junk, next), seed);
  }
});
