import assert from "node:assert/strict";
import { posix } from "node:path";
import {
  FsStorage,
  MemoryStorage,
  validateStorageKey,
} from "../../../media/storage/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { runStorageConformance } from "./storage_conformance.ts";

runStorageConformance("MemoryStorage", () =>
  Promise.resolve({
    storage: new MemoryStorage(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  }));

runStorageConformance("FsStorage", async () => {
  const root = await Deno.makeTempDir({ prefix: "arcly-storage-" });
  return {
    storage: new FsStorage({ root: `${root}/store` }),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
});

Deno.test("validateStorageKey() returns valid keys unchanged", () => {
  for (const key of ["a", "live/cam/index.m3u8", "x/y/z/seg12.3.m4s"]) {
    assert.equal(validateStorageKey(key), key);
  }
  assert.throws(
    () => validateStorageKey("a/../b"),
    (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
  );
});

Deno.test("MemoryStorage rejects writes past maxBytes with a Storage error and frees on delete", async () => {
  const storage = new MemoryStorage({ maxBytes: 100 });
  await storage.put("a", new Uint8Array(60));
  await assert.rejects(storage.append("a", new Uint8Array(41)), {
    code: "Storage",
  });
  await assert.rejects(storage.put("b", new Uint8Array(41)), {
    code: "Storage",
  });
  await storage.put("a", new Uint8Array(10)); // replacing shrinks usage
  assert.equal(storage.usedBytes, 10);
  await storage.put("b", new Uint8Array(90));
  assert.equal(await storage.delete("a"), true);
  assert.equal(storage.usedBytes, 90);
});

Deno.test("FsStorage leaves no temp files behind and lists none", async () => {
  await using dir = await tmp();
  const storage = new FsStorage({ root: dir.path });
  await Promise.all(
    Array.from(
      { length: 10 },
      (_, i) => storage.put("live/cam/index.m3u8", new Uint8Array(i + 1)),
    ),
  );
  const names = [...Deno.readDirSync(`${dir.path}/live/cam`)].map((e) =>
    e.name
  );
  assert.deepEqual(names, ["index.m3u8"]);
});

/**
 * `ln -s target path`. Deno.symlink() needs unscoped read and write
 * permissions; the test task grants path-scoped ones and --allow-run.
 */
async function symlink(target: string, path: string): Promise<void> {
  const out = await new Deno.Command("ln", { args: ["-s", target, path] })
    .output();
  if (!out.success) throw new Error(`Cannot create symlink ${path}`);
}

Deno.test("FsStorage refuses a directory symlink that points outside the root", async () => {
  await using dir = await tmp();
  const outside = `${dir.path}/outside`;
  await Deno.mkdir(outside);
  await Deno.mkdir(`${dir.path}/root`);
  await symlink(outside, `${dir.path}/root/evil`);
  await Deno.writeTextFile(`${outside}/secret`, "s");
  const storage = new FsStorage({ root: `${dir.path}/root` });
  await assert.rejects(storage.put("evil/x", new Uint8Array(1)), {
    code: "InvalidInput",
  });
  await assert.rejects(storage.get("evil/secret"), { code: "InvalidInput" });
  assert.equal([...Deno.readDirSync(outside)].length, 1);
});

Deno.test("FsStorage refuses a file symlink that points outside the root", async () => {
  await using dir = await tmp();
  await Deno.mkdir(`${dir.path}/root`);
  await Deno.writeTextFile(`${dir.path}/secret`, "s");
  await symlink(`${dir.path}/secret`, `${dir.path}/root/link`);
  const storage = new FsStorage({ root: `${dir.path}/root` });
  await assert.rejects(storage.get("link"), { code: "InvalidInput" });
  await assert.rejects(storage.append("link", new Uint8Array(1)), {
    code: "InvalidInput",
  });
  assert.equal(await Deno.readTextFile(`${dir.path}/secret`), "s");
});

Deno.test("FsStorage put and delete on a file symlink act on the link, never its outside target", async () => {
  await using dir = await tmp();
  await Deno.mkdir(`${dir.path}/root`);
  await Deno.writeTextFile(`${dir.path}/secret`, "s");
  await symlink(`${dir.path}/secret`, `${dir.path}/root/link`);
  await symlink(`${dir.path}/secret`, `${dir.path}/root/link2`);
  const storage = new FsStorage({ root: `${dir.path}/root` });
  await storage.put("link", new Uint8Array([7])); // renamed over the link
  assert.equal(Deno.lstatSync(`${dir.path}/root/link`).isSymlink, false);
  assert.deepEqual(await storage.get("link"), new Uint8Array([7]));
  assert.equal(await storage.delete("link2"), true); // unlinks the link
  assert.equal(await storage.delete("link2"), false);
  assert.equal(await Deno.readTextFile(`${dir.path}/secret`), "s");
  assert.deepEqual(await storage.list(""), ["link"]);
});

Deno.test("FsStorage surfaces I/O failures as Storage errors with the cause", async () => {
  await using dir = await tmp();
  const storage = new FsStorage({ root: dir.path });
  await storage.put("blocker", new Uint8Array(1)); // a file where a directory is needed
  const error = await storage.put("blocker/seg0.ts", new Uint8Array(1)).catch((
    e,
  ) => e);
  assert.ok(error instanceof StreamError);
  assert.equal(error.code, "Storage");
  assert.ok(error.cause instanceof Error);
  await assert.rejects(storage.append("blocker/x", new Uint8Array(1)), {
    code: "Storage",
  });
});

Deno.test("FsStorage put({ sync: true }) and append({ sync: true }) persist", async () => {
  await using dir = await tmp();
  const storage = new FsStorage({ root: dir.path });
  await storage.put("k", new Uint8Array([1]), { sync: true });
  await storage.append("k", new Uint8Array([2]), { sync: true });
  assert.deepEqual(
    await Deno.readFile(`${dir.path}/k`),
    new Uint8Array([1, 2]),
  );
});

async function tmp(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "arcly-storage-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

Deno.test("FsStorage re-creates a directory removed behind its back", async () => {
  await using dir = await tmp();
  const storage = new FsStorage({ root: dir.path });
  await storage.put("live/cam/index.m3u8", new Uint8Array([1]));
  await Deno.remove(`${dir.path}/live`, { recursive: true });
  await storage.put("live/cam/index.m3u8", new Uint8Array([2]));
  await Deno.remove(`${dir.path}/live`, { recursive: true });
  await storage.append("live/cam/rec.flv", new Uint8Array([3]));
  assert.deepEqual(await storage.get("live/cam/index.m3u8"), null);
  assert.deepEqual(await storage.get("live/cam/rec.flv"), new Uint8Array([3]));
});

Deno.test("validateStorageKey() never accepts a key that normalizes outside the root (seeded)", () => {
  const alphabet = [
    "a",
    "b",
    ".",
    "..",
    "/",
    "\\",
    ":",
    "\u0000",
    "\n",
    "é",
    "%2e",
    " ",
    "~",
  ];
  let seed = 0x2f6b;
  const random = () =>
    (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    let key = "";
    const length = 1 + Math.floor(random() * 12);
    for (let j = 0; j < length; j++) {
      key += alphabet[Math.floor(random() * alphabet.length)];
    }
    let ok: boolean;
    try {
      validateStorageKey(key);
      ok = true;
    } catch (error) {
      assert.ok(error instanceof StreamError && error.code === "InvalidInput");
      ok = false;
    }
    if (!ok) continue;
    accepted++;
    const resolved = posix.normalize(`/root/${key}`);
    assert.ok(
      resolved.startsWith("/root/") && resolved !== "/root/",
      `accepted ${JSON.stringify(key)}`,
    );
    assert.equal(
      resolved,
      `/root/${key}`,
      `key ${JSON.stringify(key)} is not already normal`,
    );
    assert.ok(
      ![...key].some((c) => c === "\\" || c === ":" || c.charCodeAt(0) < 0x20),
    );
  }
  assert.ok(accepted > 100, `only ${accepted} keys accepted`);
});
