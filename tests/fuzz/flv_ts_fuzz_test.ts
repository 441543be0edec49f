// Seeded fuzzing of the AMF0 decoder, the FLV tag body parser, the FLV reader
// and the MPEG-TS muxer's access-unit handling. Only StreamError may escape.
// Short mode ≈ 2,000 cases per target; FUZZ_LONG=1 runs 100× more.
import assert from "node:assert/strict";
import {
  Amf0EcmaArray,
  decodeAmf0,
  encodeAmf0,
  encodeFlvFile,
  flvBodyToFrames,
  FlvReader,
  frameToFlvBody,
  type MediaFrame,
  readFlvFile,
} from "../../media/flv/mod.ts";
import { MpegTsMuxer } from "../../media/mpegts/mod.ts";
import { StreamError } from "../../media/stream_error.ts";

const CASES = Deno.env.get("FUZZ_LONG") === "1" ? 200_000 : 2_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed);

/** mulberry32: small, seedable, good enough for mutation choices. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const out = new Uint8Array(input);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = Math.floor(random() * out.length);
    const op = random();
    if (op < 0.5) out[at] = Math.floor(random() * 256);
    else if (op < 0.7) out[at] = out[at]! ^ (1 << Math.floor(random() * 8));
    else if (op < 0.85) {
      out[at] = [0, 0xff, 0x7f, 0x80, 0x09, 0x11][Math.floor(random() * 6)]!;
    } else return out.subarray(0, at); // truncate
  }
  return out;
}

function randomBytes(random: () => number, max: number): Uint8Array {
  const out = new Uint8Array(Math.floor(random() * max));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

function expectOnlyStreamErrors(name: string, run: (i: number) => void): void {
  for (let i = 0; i < CASES; i++) {
    try {
      run(i);
    } catch (error) {
      if (!(error instanceof StreamError)) {
        assert.fail(
          `${name} case ${i} (FUZZ_SEED=${SEED}) threw ${String(error)}`,
        );
      }
    }
  }
}

const frame = (
  over: Partial<MediaFrame> & Pick<MediaFrame, "codec" | "kind">,
): MediaFrame => ({
  trackId: 0,
  pts: 40,
  dts: 0,
  timescale: 1000,
  keyframe: true,
  config: false,
  data: new Uint8Array([0, 0, 0, 2, 0x65, 0x88]),
  ...over,
}); // deno-fmt-ignore

const SAMPLE_FRAMES: MediaFrame[] = [
  frame({ kind: "video", codec: "h264", config: true, data: new Uint8Array([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 2, 0x68, 0xce]) }),
  frame({ kind: "video", codec: "h264" }),
  frame({ kind: "video", codec: "h265", keyframe: false }),
  frame({ kind: "video", codec: "av1" }),
  frame({ kind: "video", codec: "vp9", trackId: 3 }),
  frame({ kind: "audio", codec: "aac", config: true, data: new Uint8Array([0x12, 0x10]) }),
  frame({ kind: "audio", codec: "aac", pts: 0 }),
  frame({ kind: "audio", codec: "opus", pts: 0, trackId: 1 }),
  frame({ kind: "audio", codec: "mp3", pts: 0 }),
];

Deno.test("fuzz: decodeAmf0() throws only StreamError on random and mutated input", () => {
  const random = rng(SEED);
  const seeds = [
    encodeAmf0(["connect", 1, {
      app: "live",
      tcUrl: "rtmp://h/live",
      fourCcList: ["hvc1", "av01"],
    }]),
    encodeAmf0([
      "onMetaData",
      new Amf0EcmaArray({
        width: 64,
        height: 64,
        date: new Date(0),
        list: [1, null, undefined, true],
      }),
    ]),
    encodeAmf0(["x".repeat(70_000)]),
  ];
  expectOnlyStreamErrors("decodeAmf0", (i) => {
    const input = i % 3 === 0
      ? randomBytes(random, 64)
      : mutate(seeds[i % seeds.length]!, random);
    decodeAmf0(input);
  });
});

Deno.test("fuzz: flvBodyToFrames() throws only StreamError and returns in-bounds views", () => {
  const random = rng(SEED + 1);
  const bodies = SAMPLE_FRAMES.map((f) =>
    [f.kind === "video" ? 9 : 8, frameToFlvBody(f)] as const
  );
  bodies.push([
    9,
    new Uint8Array([
      0x96,
      0x11,
      0x61,
      0x76,
      0x63,
      0x31,
      1,
      0,
      0,
      4,
      0,
      0,
      0,
      0xa1,
      2,
      0,
      0,
      4,
      0,
      0,
      0,
      0xb1,
    ]),
  ]);
  bodies.push([
    9,
    new Uint8Array([0x97, 2, 0, 0, 5, 0x03, 0x61, 0x76, 0x30, 0x31, 0xaa]),
  ]);
  expectOnlyStreamErrors("flvBodyToFrames", (i) => {
    const [type, seed] = bodies[i % bodies.length]!;
    const body = i % 4 === 0 ? randomBytes(random, 24) : mutate(seed, random);
    for (const f of flvBodyToFrames(type, body, i)) {
      assert.equal(f.data.buffer, body.buffer);
      assert.ok(
        f.data.byteOffset + f.data.length <= body.byteOffset + body.length,
      );
    }
  });
});

Deno.test("fuzz: FlvReader throws only StreamError on mutated and truncated files", () => {
  const random = rng(SEED + 2);
  const file = encodeFlvFile(
    SAMPLE_FRAMES.map((f, i) => ({ ...f, dts: i * 10, pts: i * 10 + 5 })),
  );
  assert.equal(readFlvFile(file).truncated, false);
  expectOnlyStreamErrors("FlvReader", () => {
    const input = mutate(file, random);
    const reader = new FlvReader();
    for (let pos = 0; pos < input.length;) {
      const size = 1 + Math.floor(random() * 64);
      reader.push(input.subarray(pos, pos + size));
      pos += size;
    }
    reader.finish();
  });
});

Deno.test("fuzz: MpegTsMuxer throws only StreamError on mutated access units and configs", () => {
  const random = rng(SEED + 3);
  const seeds = SAMPLE_FRAMES.filter((f) =>
    f.codec !== "av1" && f.codec !== "vp9"
  );
  expectOnlyStreamErrors("MpegTsMuxer", (i) => {
    const muxer = new MpegTsMuxer();
    const frames = seeds.map((
      f,
    ) => (i % seeds.length === seeds.indexOf(f)
      ? { ...f, data: mutate(f.data, random) }
      : f)
    );
    const ts = muxer.mux(frames);
    assert.equal(ts.length % 188, 0);
  });
});
