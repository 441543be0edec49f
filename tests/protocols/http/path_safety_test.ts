import assert from "node:assert/strict";
import { StreamError } from "../../../media/stream_error.ts";
import { FsStorage } from "../../../media/storage/mod.ts";
import {
  decodeSafeSegment,
  hlsRoutes,
  isSafePath,
  storageKeyFromPath,
} from "../../../protocols/http/mod.ts";
import { tempDir } from "../../_tools.ts";

const HOSTILE = [
  "/live/../etc/passwd",
  "/live/%2e%2e/%2e%2e/etc/passwd",
  "/live/%2E%2E/secret",
  "/live/cam/..%2f..%2f..%2fetc%2fpasswd",
  "/live/cam/..%5c..%5cwin.ini",
  "/live/cam/a%00b.ts",
  "//etc/passwd",
  "/%2fetc/passwd",
  "/live/./cam/index.m3u8",
  "/live/cam/%zz.ts",
  "/live/cam/C:%5cwindows",
  "/live/cam/" + "a/".repeat(20) + "x.ts",
  "/live/cam/" + "x".repeat(2000),
];

Deno.test("storageKeyFromPath() maps plain paths and refuses every traversal encoding", () => {
  assert.equal(
    storageKeyFromPath("/live/cam/index.m3u8"),
    "live/cam/index.m3u8",
  );
  assert.equal(
    storageKeyFromPath("/live/my%20cam/seg1.ts"),
    "live/my cam/seg1.ts",
  );
  for (const path of HOSTILE) {
    assert.throws(
      () => storageKeyFromPath(path),
      (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
      path,
    );
    assert.equal(isSafePath(path), false, path);
  }
  assert.equal(decodeSafeSegment("%2e"), null);
  assert.equal(decodeSafeSegment("seg%2e1.ts"), "seg.1.ts");
});

Deno.test("hlsRoutes() never reads outside an FsStorage root, whatever the URL", async () => {
  await using dir = await tempDir();
  const root = `${dir.path}/root`;
  await Deno.mkdir(`${root}/live/cam`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/secret.txt`, "TOP SECRET");
  await Deno.writeTextFile(`${root}/live/cam/seg1.ts`, "segment");
  const app = hlsRoutes({ storage: new FsStorage({ root }) });
  const ok = await app.request("/live/cam/seg1.ts");
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "segment");
  const attempts = [
    "/live/cam/..%2f..%2f..%2fsecret.txt",
    "/live/%2e%2e/%2e%2e/secret.txt",
    "/live/cam/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/live/..%2f../secret.txt",
    "/live/cam/..%5c..%5csecret.txt",
    "/live/cam/secret.txt%00.ts",
    "/live/cam/" + encodeURIComponent(`${dir.path}/secret.txt`),
  ];
  for (const path of attempts) {
    const res = await app.request(path);
    const body = await res.text();
    assert.ok(
      res.status === 400 || res.status === 404,
      `${path} → ${res.status}`,
    );
    assert.ok(!body.includes("TOP SECRET"), path);
  }
});
