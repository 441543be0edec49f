/**
 * {@linkcode MemoryStorage}: a {@linkcode StorageBackend} kept in a `Map`, for
 * in-RAM HLS, tests and examples.
 *
 * Memory is bounded by `maxBytes` (default unbounded): a write that would go
 * past it fails with `StreamError` `Storage`, exactly like a full disk, so
 * the packager's error path can be exercised without a real disk. `append`
 * grows a buffer by doubling (amortised O(1) per byte); `put` copies the
 * caller's bytes once so later writes to them cannot change stored data.
 *
 * Reads return views of the stored buffer. They stay valid and unchanged
 * after later writes: `put` swaps in a new buffer and `append` writes only
 * past the end of every view handed out so far.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";
import { checkPrefix, checkRange } from "./_checks.ts";
import {
  type StorageBackend,
  type StorageStat,
  validateStorageKey,
  type WriteOptions,
} from "./storage_backend.ts";

/**
 * Options for {@linkcode MemoryStorage}.
 *
 * @example
 * ```ts
 * import type { MemoryStorageOptions } from "@arcly/stream/storage";
 * const options: MemoryStorageOptions = { maxBytes: 64 << 20 };
 * ```
 */
export interface MemoryStorageOptions {
  /** Total bytes (sum of object sizes) the store may hold. Default: unbounded. */
  maxBytes?: number;
  /** Clock for `mtimeMs`, milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

interface Entry {
  buffer: Uint8Array<ArrayBuffer>;
  size: number;
  mtimeMs: number;
}

/** Smallest buffer allocated for an appended object, to avoid tiny regrowths. */
const MIN_APPEND_CAPACITY = 4096;

/**
 * A {@linkcode StorageBackend} held in memory.
 *
 * @example Append fragments and read a range
 * ```ts
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage({ maxBytes: 1024 });
 * await storage.append("rec/cam.flv", new Uint8Array([1, 2, 3]));
 * await storage.append("rec/cam.flv", new Uint8Array([4, 5]));
 * assert.deepEqual(await storage.getRange("rec/cam.flv", 2, 4), new Uint8Array([3, 4]));
 * assert.equal((await storage.stat("rec/cam.flv"))?.size, 5);
 * await assert.rejects(storage.put("big", new Uint8Array(2048)), { code: "Storage" });
 * ```
 */
export class MemoryStorage implements StorageBackend {
  #entries = new Map<string, Entry>();
  #maxBytes: number;
  #now: () => number;
  #usedBytes = 0;

  /**
   * Create an empty store.
   *
   * @param options memory limit and clock
   */
  constructor(options: MemoryStorageOptions = {}) {
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes currently stored (sum of object sizes). */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** {@inheritDoc StorageBackend.put} */
  put(key: string, bytes: Uint8Array, _options?: WriteOptions): Promise<void> {
    return this.putChunks(key, [bytes]);
  }

  /**
   * {@inheritDoc StorageBackend.putChunks}
   *
   * @example The stored object is the chunks, joined in one copy
   * ```ts
   * import { MemoryStorage } from "@arcly/stream/storage";
   * import assert from "node:assert/strict";
   *
   * const storage = new MemoryStorage();
   * await storage.putChunks("live/cam/seg1.ts", [Uint8Array.of(1, 2), Uint8Array.of(3)]);
   * assert.deepEqual([...(await storage.get("live/cam/seg1.ts"))!], [1, 2, 3]);
   * ```
   */
  putChunks(
    key: string,
    chunks: readonly Uint8Array[],
    _options?: WriteOptions,
  ): Promise<void> {
    try {
      validateStorageKey(key);
      let size = 0;
      for (const chunk of chunks) size += chunk.length;
      const old = this.#entries.get(key);
      this.#reserve(key, size - (old?.size ?? 0));
      const buffer = new Uint8Array(size); // the stored copy, never the caller's
      let at = 0;
      for (const chunk of chunks) {
        buffer.set(chunk, at);
        at += chunk.length;
      }
      this.#entries.set(key, { buffer, size, mtimeMs: this.#now() });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@inheritDoc StorageBackend.append} */
  append(
    key: string,
    bytes: Uint8Array,
    _options?: WriteOptions,
  ): Promise<void> {
    try {
      validateStorageKey(key);
      this.#reserve(key, bytes.length);
      const entry = this.#entries.get(key) ??
        { buffer: new Uint8Array(0), size: 0, mtimeMs: 0 };
      const needed = entry.size + bytes.length;
      if (needed > entry.buffer.length) {
        const grown = new Uint8Array(
          Math.max(MIN_APPEND_CAPACITY, needed, entry.buffer.length * 2),
        );
        grown.set(entry.buffer.subarray(0, entry.size));
        entry.buffer = grown;
      }
      entry.buffer.set(bytes, entry.size);
      entry.size = needed;
      entry.mtimeMs = this.#now();
      this.#entries.set(key, entry);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@inheritDoc StorageBackend.get} */
  get(key: string): Promise<Uint8Array<ArrayBuffer> | null> {
    try {
      validateStorageKey(key);
      const entry = this.#entries.get(key);
      return Promise.resolve(
        entry ? entry.buffer.subarray(0, entry.size) : null,
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@inheritDoc StorageBackend.getRange} */
  getRange(
    key: string,
    start: number,
    endExclusive: number,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    try {
      validateStorageKey(key);
      checkRange(start, endExclusive);
      const entry = this.#entries.get(key);
      if (!entry) return Promise.resolve(null);
      const from = Math.min(start, entry.size);
      return Promise.resolve(
        entry.buffer.subarray(from, Math.min(endExclusive, entry.size)),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@inheritDoc StorageBackend.stat} */
  stat(key: string): Promise<StorageStat | null> {
    try {
      validateStorageKey(key);
      const entry = this.#entries.get(key);
      return Promise.resolve(
        entry ? { size: entry.size, mtimeMs: entry.mtimeMs } : null,
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@inheritDoc StorageBackend.delete} */
  delete(key: string): Promise<boolean> {
    try {
      validateStorageKey(key);
      const entry = this.#entries.get(key);
      if (!entry) return Promise.resolve(false);
      this.#usedBytes -= entry.size;
      this.#entries.delete(key);
      return Promise.resolve(true);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@inheritDoc StorageBackend.list} */
  list(prefix: string): Promise<string[]> {
    try {
      checkPrefix(prefix);
      const keys: string[] = [];
      for (const key of this.#entries.keys()) {
        if (key.startsWith(prefix)) keys.push(key);
      }
      return Promise.resolve(keys.sort());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #reserve(key: string, delta: number): void {
    if (this.#usedBytes + delta > this.#maxBytes) {
      throw new StreamError(
        "Storage",
        `Cannot write ${key}: memory storage is full (${this.#usedBytes} of ${this.#maxBytes} bytes used)`,
      );
    }
    this.#usedBytes += delta;
  }
}
