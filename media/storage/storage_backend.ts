/**
 * The {@linkcode StorageBackend} contract shared by the HLS packager and the
 * recorder, and {@linkcode validateStorageKey}, the one key check every
 * backend runs before touching its store.
 *
 * Keys are `/`-separated relative paths (`live/cam/seg12.ts`). A key never
 * names anything outside the backend's root: `validateStorageKey()` rejects
 * absolute paths, `.`/`..` and empty segments, backslashes, `:`, control
 * characters and over-long keys before any I/O happens.
 *
 * Errors: a bad key is a {@linkcode StreamError} with code `InvalidInput`; an
 * I/O failure (disk full, permission, …) is a `StreamError` with code
 * `Storage` carrying the platform error as `cause`. A missing key is not an
 * error: reads return `null`.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";

/**
 * Longest key accepted, in UTF-16 code units. Linux PATH_MAX is 4096 bytes and
 * the root directory takes part of it; 1024 leaves room for any sane root
 * while allowing deep `app/name/...` layouts.
 *
 * @example Reject an over-long key
 * ```ts
 * import { MAX_STORAGE_KEY_LENGTH, validateStorageKey } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => validateStorageKey("k".repeat(MAX_STORAGE_KEY_LENGTH + 1)), { code: "InvalidInput" });
 * ```
 */
export const MAX_STORAGE_KEY_LENGTH = 1024;

/**
 * Longest single path segment, in UTF-8 bytes: NAME_MAX on Linux and macOS
 * file systems is 255 bytes, and a longer name fails with an I/O error only
 * after work was done.
 *
 * @example Reject an over-long segment
 * ```ts
 * import { MAX_STORAGE_SEGMENT_BYTES, validateStorageKey } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => validateStorageKey("a/" + "é".repeat(MAX_STORAGE_SEGMENT_BYTES)), { code: "InvalidInput" });
 * ```
 */
export const MAX_STORAGE_SEGMENT_BYTES = 255;

/**
 * Options for {@linkcode StorageBackend.put} and
 * {@linkcode StorageBackend.append}.
 *
 * @example Ask for a durable write
 * ```ts
 * import type { WriteOptions } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const options: WriteOptions = { sync: true };
 * assert.equal(options.sync, true);
 * ```
 */
export interface WriteOptions {
  /**
   * Flush the data to stable storage before the promise resolves (fsync on
   * file systems). Default false: the OS writes back on its own schedule.
   */
  sync?: boolean;
}

/**
 * What {@linkcode StorageBackend.stat} reports about a stored object.
 *
 * @example
 * ```ts
 * import type { StorageStat } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const stat: StorageStat = { size: 188, mtimeMs: 0 };
 * assert.equal(stat.size % 188, 0);
 * ```
 */
export interface StorageStat {
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time, milliseconds since the Unix epoch. */
  readonly mtimeMs: number;
}

/**
 * A key/value store of byte objects addressed by `/`-separated keys: where
 * the HLS packager puts playlists and segments and where recordings go.
 *
 * Guarantees every implementation keeps (checked by one conformance suite):
 * - `put` is atomic: a concurrent reader sees either the old object or the
 *   complete new one, never a prefix.
 * - `append` creates the object when missing and adds the bytes at its end.
 * - reads of a missing key return `null`; `delete` of a missing key returns
 *   `false`.
 * - bad keys throw `StreamError` `InvalidInput` before any I/O; I/O failures
 *   throw `StreamError` `Storage`.
 * - Returned `Uint8Array`s belong to the caller but must be treated as
 *   read-only (a backend may hand out views of its own buffers).
 *
 * @example Store and read back a playlist
 * ```ts
 * import { MemoryStorage, type StorageBackend } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage: StorageBackend = new MemoryStorage();
 * await storage.put("live/cam/index.m3u8", new TextEncoder().encode("#EXTM3U\n"));
 * const bytes = await storage.get("live/cam/index.m3u8");
 * assert.equal(new TextDecoder().decode(bytes!), "#EXTM3U\n");
 * assert.deepEqual(await storage.list("live/"), ["live/cam/index.m3u8"]);
 * ```
 */
export interface StorageBackend {
  /**
   * Replace the object at `key` with `bytes`, atomically.
   *
   * @param key a valid storage key
   * @param bytes the whole object
   * @param options durability
   * @throws {StreamError} `InvalidInput` for a bad key, `Storage` on I/O failure
   */
  put(key: string, bytes: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * Optional: replace the object at `key` with the concatenation of
   * `chunks`, atomically, without joining them in memory first (an LL-HLS
   * segment is the run of its parts, each already stored and held). A
   * caller falls back to `put` of the joined bytes when a backend has no
   * `putChunks`, so a backend adds it only when it can write pieces in
   * order (a file, a multipart upload).
   *
   * @param key a valid storage key
   * @param chunks the whole object, in order
   * @param options durability
   * @throws {StreamError} `InvalidInput` for a bad key, `Storage` on I/O failure
   */
  putChunks?(
    key: string,
    chunks: readonly Uint8Array[],
    options?: WriteOptions,
  ): Promise<void>;
  /**
   * Add `bytes` at the end of the object at `key`, creating it when missing.
   *
   * @param key a valid storage key
   * @param bytes the bytes to add
   * @param options durability
   * @throws {StreamError} `InvalidInput` for a bad key, `Storage` on I/O failure
   */
  append(key: string, bytes: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * The whole object, or null when missing.
   *
   * @param key a valid storage key
   * @returns the bytes (read-only), or null
   */
  get(key: string): Promise<Uint8Array<ArrayBuffer> | null>;
  /**
   * Bytes `[start, min(endExclusive, size))` of the object, or null when
   * missing. A start past the end gives an empty array.
   *
   * @param key a valid storage key
   * @param start first byte, ≥ 0
   * @param endExclusive one past the last byte, ≥ start
   * @returns the bytes (read-only), or null
   * @throws {StreamError} `InvalidInput` for a bad key or range
   */
  getRange(
    key: string,
    start: number,
    endExclusive: number,
  ): Promise<Uint8Array<ArrayBuffer> | null>;
  /**
   * Size and modification time, or null when missing.
   *
   * @param key a valid storage key
   * @returns the stat, or null
   */
  stat(key: string): Promise<StorageStat | null>;
  /**
   * Remove the object.
   *
   * @param key a valid storage key
   * @returns true when it existed
   */
  delete(key: string): Promise<boolean>;
  /**
   * Every stored key that starts with `prefix`, sorted. `""` lists all.
   *
   * @param prefix a string prefix of keys (e.g. `"live/cam/"`)
   * @returns the keys, sorted by code unit
   */
  list(prefix: string): Promise<string[]>;
}

/**
 * Check that `key` is a safe relative storage key and return it.
 *
 * Rejected: empty keys, keys longer than {@linkcode MAX_STORAGE_KEY_LENGTH},
 * a leading `/` (absolute), empty segments (`a//b`, trailing `/`), `.` and
 * `..` segments, backslashes, `:` (Windows drive letters and NTFS streams),
 * NUL and other control characters, and segments longer than
 * {@linkcode MAX_STORAGE_SEGMENT_BYTES} UTF-8 bytes.
 *
 * @param key the candidate key
 * @returns the same key
 * @throws {StreamError} code `InvalidInput` naming the rule that failed
 *
 * @example Accept a segment key and reject an escape
 * ```ts
 * import { validateStorageKey } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * assert.equal(validateStorageKey("live/cam/seg1.ts"), "live/cam/seg1.ts");
 * assert.throws(() => validateStorageKey("live/../../etc/passwd"), {
 *   code: "InvalidInput",
 * });
 * ```
 */
export function validateStorageKey(key: string): string {
  if (typeof key !== "string" || key.length === 0) {
    throw invalidKey(key, "it is empty");
  }
  if (key.length > MAX_STORAGE_KEY_LENGTH) {
    throw invalidKey(
      key.slice(0, 64) + "…",
      `it is longer than ${MAX_STORAGE_KEY_LENGTH} characters`,
    );
  }
  let segmentStart = 0;
  for (let i = 0; i <= key.length; i++) {
    const c = i < key.length ? key.charCodeAt(i) : 0x2f;
    if (c < 0x20 || c === 0x7f) {
      throw invalidKey(key, "it has a control character");
    }
    if (c === 0x5c) throw invalidKey(key, "it has a backslash");
    if (c === 0x3a) throw invalidKey(key, "it has a colon");
    if (c !== 0x2f) continue;
    checkSegment(key, key.slice(segmentStart, i));
    segmentStart = i + 1;
  }
  return key;
}

function checkSegment(key: string, segment: string): void {
  if (segment.length === 0) {
    throw invalidKey(key, "it has an empty segment or a leading or trailing /");
  }
  if (segment === "." || segment === "..") {
    throw invalidKey(key, `it has a "${segment}" segment`);
  }
  // UTF-8 length is at most 3 bytes per UTF-16 unit; encode only when close.
  if (
    segment.length * 3 > MAX_STORAGE_SEGMENT_BYTES &&
    utf8Length(segment) > MAX_STORAGE_SEGMENT_BYTES
  ) {
    throw invalidKey(
      key,
      `a segment is longer than ${MAX_STORAGE_SEGMENT_BYTES} bytes`,
    );
  }
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function invalidKey(key: string, why: string): StreamError {
  return new StreamError(
    "InvalidInput",
    `Cannot use storage key ${JSON.stringify(key)}: ${why}`,
  );
}
