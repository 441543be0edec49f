// One conformance suite for every StorageBackend (Hono runtime-tests style):
// each implementation's test file calls runStorageConformance() with a factory.
import assert from "node:assert/strict";
import type { StorageBackend } from "../../../media/storage/mod.ts";

/** A fresh backend plus its cleanup. */
export interface StorageUnderTest {
  storage: StorageBackend;
  [Symbol.asyncDispose](): Promise<void>;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Register the shared behaviour tests for one backend. */
export function runStorageConformance(
  name: string,
  create: () => Promise<StorageUnderTest>,
): void {
  const test = (title: string, fn: (s: StorageBackend) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      await using under = await create();
      await fn(under.storage);
    });

  test("put() then get() returns the same bytes", async (s) => {
    await s.put("live/cam/seg0.ts", bytes(1, 2, 3));
    assert.deepEqual(await s.get("live/cam/seg0.ts"), bytes(1, 2, 3));
  });

  test("put() replaces the whole object", async (s) => {
    await s.put("a/k", bytes(1, 2, 3, 4, 5));
    await s.put("a/k", bytes(9));
    assert.deepEqual(await s.get("a/k"), bytes(9));
    assert.equal((await s.stat("a/k"))?.size, 1);
  });

  test("put() copies: later changes to the caller's buffer are not stored", async (s) => {
    const data = bytes(1, 2, 3);
    await s.put("k", data);
    data[0] = 42;
    assert.deepEqual(await s.get("k"), bytes(1, 2, 3));
  });

  test("put() accepts an empty object", async (s) => {
    await s.put("empty", new Uint8Array(0));
    assert.deepEqual(await s.get("empty"), new Uint8Array(0));
    assert.equal((await s.stat("empty"))?.size, 0);
  });

  test("putChunks() stores the chunks' concatenation and replaces the object", async (s) => {
    assert.ok(s.putChunks, "both backends implement the optional putChunks");
    await s.put("live/cam/seg1.ts", bytes(9, 9, 9, 9, 9, 9));
    const big = new Uint8Array(100_000).fill(5);
    await s.putChunks("live/cam/seg1.ts", [bytes(1, 2), big, bytes(3)]);
    const stored = await s.get("live/cam/seg1.ts");
    assert.equal(stored?.length, 100_003);
    assert.deepEqual(stored?.subarray(0, 3), bytes(1, 2, 5));
    assert.deepEqual(stored?.subarray(100_001), bytes(5, 3));
    await s.putChunks("live/cam/seg2.ts", []);
    assert.deepEqual(await s.get("live/cam/seg2.ts"), new Uint8Array(0));
    await assert.rejects(
      s.putChunks("../escape", [bytes(1)]),
      (e: unknown) => e instanceof Error && e.name === "StreamError",
    );
  });

  test("append() creates then extends, and earlier reads stay unchanged", async (s) => {
    await s.append("rec/a.flv", bytes(1, 2));
    const first = await s.get("rec/a.flv");
    await s.append("rec/a.flv", bytes(3));
    await s.append("rec/a.flv", new Uint8Array(10_000).fill(7));
    assert.deepEqual(first, bytes(1, 2));
    const all = await s.get("rec/a.flv");
    assert.equal(all?.length, 10_003);
    assert.deepEqual(all?.subarray(0, 4), bytes(1, 2, 3, 7));
  });

  test("get(), getRange() and stat() of a missing key return null", async (s) => {
    assert.equal(await s.get("nope/x"), null);
    assert.equal(await s.getRange("nope/x", 0, 10), null);
    assert.equal(await s.stat("nope/x"), null);
  });

  test("getRange() clamps to the object and rejects bad bounds", async (s) => {
    await s.put("r", bytes(0, 1, 2, 3, 4, 5));
    assert.deepEqual(await s.getRange("r", 1, 4), bytes(1, 2, 3));
    assert.deepEqual(await s.getRange("r", 4, 100), bytes(4, 5));
    assert.deepEqual(await s.getRange("r", 10, 20), new Uint8Array(0));
    assert.deepEqual(await s.getRange("r", 2, 2), new Uint8Array(0));
    await assert.rejects(s.getRange("r", 3, 2), { code: "InvalidInput" });
    await assert.rejects(s.getRange("r", -1, 2), { code: "InvalidInput" });
    await assert.rejects(s.getRange("r", 0.5, 2), { code: "InvalidInput" });
  });

  test("stat() reports size and a recent mtime", async (s) => {
    const before = Date.now() - 5_000;
    await s.put("st", new Uint8Array(188));
    const stat = await s.stat("st");
    assert.equal(stat?.size, 188);
    assert.ok(
      stat && stat.mtimeMs >= before && stat.mtimeMs <= Date.now() + 5_000,
    );
  });

  test("delete() removes and reports whether the key existed", async (s) => {
    await s.put("d/x", bytes(1));
    assert.equal(await s.delete("d/x"), true);
    assert.equal(await s.delete("d/x"), false);
    assert.equal(await s.delete("never/there"), false);
    assert.equal(await s.get("d/x"), null);
  });

  test("list() returns sorted keys under a prefix", async (s) => {
    for (
      const key of [
        "live/b/seg1.ts",
        "live/a/index.m3u8",
        "live/a/seg0.ts",
        "vod/x.mp4",
        "live/ab",
      ]
    ) {
      await s.put(key, bytes(0));
    }
    assert.deepEqual(await s.list("live/a/"), [
      "live/a/index.m3u8",
      "live/a/seg0.ts",
    ]);
    assert.deepEqual(await s.list("live/a"), [
      "live/a/index.m3u8",
      "live/a/seg0.ts",
      "live/ab",
    ]);
    assert.deepEqual(await s.list("live/a/seg"), ["live/a/seg0.ts"]);
    assert.deepEqual(await s.list(""), [
      "live/a/index.m3u8",
      "live/a/seg0.ts",
      "live/ab",
      "live/b/seg1.ts",
      "vod/x.mp4",
    ]);
    assert.deepEqual(await s.list("missing/"), []);
    await assert.rejects(s.list("../"), { code: "InvalidInput" });
    await assert.rejects(s.list("/abs"), { code: "InvalidInput" });
  });

  test("every operation rejects keys that could escape", async (s) => {
    const bad = [
      "",
      "/etc/passwd",
      "../x",
      "a/../../x",
      "a/./b",
      ".",
      "..",
      "a//b",
      "a/",
      "a\\b",
      "C:/x",
      "a\u0000b",
      "a\nb",
      "x".repeat(2000),
      "a/" + "y".repeat(300),
    ];
    for (const key of bad) {
      await assert.rejects(
        s.put(key, bytes(1)),
        { code: "InvalidInput" },
        `put ${JSON.stringify(key)}`,
      );
      await assert.rejects(s.append(key, bytes(1)), { code: "InvalidInput" });
      await assert.rejects(s.get(key), { code: "InvalidInput" });
      await assert.rejects(s.getRange(key, 0, 1), { code: "InvalidInput" });
      await assert.rejects(s.stat(key), { code: "InvalidInput" });
      await assert.rejects(s.delete(key), { code: "InvalidInput" });
    }
    assert.deepEqual(await s.list(""), []);
  });

  test("keys may use dots, dashes and unicode inside segments", async (s) => {
    for (
      const key of [
        ".hidden",
        "a/..b",
        "a/b..",
        "live/cam-1/seg_0.m4s",
        "live/кам/å.ts",
      ]
    ) {
      await s.put(key, bytes(5));
      assert.deepEqual(await s.get(key), bytes(5), key);
    }
  });

  test("a reader racing put() sees the old or the new object, never a mix", async (s) => {
    const old = new Uint8Array(256 * 1024).fill(1);
    const next = new Uint8Array(256 * 1024).fill(2);
    await s.put("race/index.m3u8", old);
    const reads: Promise<Uint8Array | null>[] = [];
    for (let i = 0; i < 20; i++) {
      reads.push(s.put("race/index.m3u8", i % 2 ? old : next).then(() => null));
      reads.push(s.get("race/index.m3u8"));
    }
    for (const got of await Promise.all(reads)) {
      if (got === null) continue;
      assert.equal(got.length, old.length);
      assert.ok(got.every((b) => b === got[0]), "a read saw a partial write");
    }
  });
}
