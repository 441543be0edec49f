// Regression tests for bugs the fuzz harness and fault work found, each with
// its input under tests/fuzz/corpus/regressions/.
import assert from "node:assert/strict";
import { FlvReader } from "../../media/flv/mod.ts";

const REGRESSIONS = new URL("./corpus/regressions/", import.meta.url);

Deno.test("regression: FlvReader takes a 16 MiB tag pushed in 16 KiB pieces in linear time", () => {
  // flv_reader_16mib_tag_prefix.bin: FLV header, a video tag header announcing
  // 0xfffff0 body bytes, and the AVC NALU packet header; the rest is zeros.
  // Before the fix every push re-joined the whole pending tail (O(size²)):
  // 52 s for this input in 16 KiB pieces, 27 s in 64 KiB pieces.
  const prefix = Deno.readFileSync(
    new URL("flv_reader_16mib_tag_prefix.bin", REGRESSIONS),
  );
  const size = (prefix[14]! << 16) | (prefix[15]! << 8) | prefix[16]!;
  const file = new Uint8Array(13 + 11 + size + 4);
  file.set(prefix);
  for (let i = 29; i < 13 + 11 + size; i += 4099) file[i] = i & 0xff; // recognisable payload
  const reader = new FlvReader();
  const frames = [];
  const t0 = performance.now();
  for (let p = 0; p < file.length; p += 16_384) {
    frames.push(...reader.push(file.subarray(p, p + 16_384)));
    if (p + 16_384 < file.length - 4) assert.ok(reader.pendingBytes > 0);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 5_000, `took ${ms.toFixed(0)} ms`);
  assert.equal(frames.length, 1);
  assert.equal(reader.pendingBytes, 0);
  assert.equal(reader.finish().truncated, false);
  const body = file.subarray(13 + 11, 13 + 11 + size);
  assert.deepEqual(frames[0]!.data, body.subarray(5));
});

Deno.test("regression: FlvReader frames stay intact after later pushes reuse no buffer", () => {
  // The linear-time tail must never hand out views of a buffer it writes again.
  const prefix = Deno.readFileSync(
    new URL("flv_reader_16mib_tag_prefix.bin", REGRESSIONS),
  );
  const tag = (n: number, fill: number) => {
    const t = new Uint8Array(11 + 5 + n + 4);
    t.set([
      9,
      0,
      (5 + n) >> 8,
      (5 + n) & 0xff,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x17,
      1,
      0,
      0,
      0,
    ]);
    t.fill(fill, 16, 16 + n);
    return t;
  };
  const file = new Uint8Array([
    ...prefix.subarray(0, 13),
    ...tag(300, 1),
    ...tag(300, 2),
    ...tag(300, 3),
  ]);
  const reader = new FlvReader();
  const frames = [];
  for (let p = 0; p < file.length; p += 7) {
    frames.push(...reader.push(file.slice(p, p + 7)));
  }
  assert.deepEqual(frames.map((f) => f.data.length), [300, 300, 300]);
  frames.forEach((f, i) => assert.ok(f.data.every((b) => b === i + 1)));
});

// Found by http.app.request after 172k cases: a URL file name longer than a
// storage key segment may be (255 bytes) passed path safety, then
// FsStorage.stat() threw StreamError InvalidInput inside hls_routes.ts and the
// app answered 500. Fixed: storageKeyFromPath() validates the key as storage
// will. Inputs: corpus/regressions/http_long_segment_500.txt (minimal) and
// http_long_segment_500_fuzz.bin.
Deno.test({
  name: "regression: an over-long file name in an HLS URL is a 4xx, not a 500",
  async fn() {
    const { createHttpApp } = await import("../../protocols/http/mod.ts");
    const { FsStorage } = await import("../../media/storage/mod.ts");
    const { Engine } = await import("../../src/mod.ts");
    const dir = await Deno.makeTempDir({ prefix: "arcly-regress-" });
    await using engine = Engine.builder().build();
    try {
      const app = createHttpApp(engine, {
        storage: new FsStorage({ root: dir }),
        dashboard: false,
      });
      for (
        const name of [
          "http_long_segment_500.txt",
          "http_long_segment_500_fuzz.bin",
        ]
      ) {
        const text = new TextDecoder().decode(
          Deno.readFileSync(new URL(name, REGRESSIONS)),
        );
        const url = new URL(text, "http://127.0.0.1/");
        const res = await app.request(url.pathname + url.search);
        await res.body?.cancel();
        assert.ok(
          res.status >= 400 && res.status < 500,
          `${name}: ${res.status}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
