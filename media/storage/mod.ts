/**
 * Storage backends: where HLS playlists, segments and recordings are written.
 *
 * - {@linkcode StorageBackend}: the contract (atomic `put`, `append`, `get`,
 *   `getRange`, `stat`, `delete`, `list`).
 * - {@linkcode MemoryStorage}: a bounded in-memory store.
 * - {@linkcode FsStorage}: files under one root, atomic by temp file +
 *   rename, confined to the root.
 * - {@linkcode validateStorageKey}: the key rules every backend enforces.
 *
 * @example Tour: write, append, list, delete
 * ```ts
 * import { MemoryStorage, validateStorageKey } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * await storage.put(validateStorageKey("live/cam/seg0.ts"), new Uint8Array(188));
 * await storage.append("rec/cam.flv", new Uint8Array([0x46, 0x4c, 0x56]));
 * assert.deepEqual(await storage.list("live/"), ["live/cam/seg0.ts"]);
 * assert.equal(await storage.delete("live/cam/seg0.ts"), true);
 * assert.equal(await storage.get("live/cam/seg0.ts"), null);
 * ```
 *
 * @module
 */
export * from "./storage_backend.ts";
export * from "./memory_storage.ts";
export * from "./fs_storage.ts";
