/**
 * {@linkcode FsStorage}: a {@linkcode StorageBackend} on the local file
 * system, confined to one root directory.
 *
 * Data path: `put` writes to a hidden temporary file in the target directory
 * (`.arcly-tmp-<random>`), optionally fsyncs it, then renames it over the
 * key, so a reader (the HTTP layer serving a playlist) sees the old file or
 * the complete new one, never a prefix (POSIX rename(2) is atomic within a
 * file system); `putChunks` does the same with the chunks written in order
 * into the one temporary file (an LL-HLS segment from its parts, never
 * joined in memory). `append` opens with O_APPEND and writes all bytes, fsyncing
 * when asked. Directories are created on demand.
 *
 * Cost per object (an HLS packager puts a segment and a playlist and deletes
 * a segment every few seconds per stream): without `sync`, a write of up to
 * 64 KiB (a playlist) is one `Deno.writeFile` (open, write, close in a single
 * op, copying the bytes); a larger one (a segment) is written from the
 * caller's buffer, uncopied (a fresh 0.5 MB copy per segment costs more in
 * page faults than the two extra ops); `put` adds only the rename; `put`
 * and `delete` skip the leaf symlink check, because rename(2) and unlink(2)
 * act on a symlink itself, never on its target.
 *
 * Confinement: keys are checked lexically by `validateStorageKey()` (no `..`,
 * no absolute paths), then the real path of each directory touched is
 * resolved once (cached) and must lie under the real root, and a key that is
 * itself a symlink must resolve under the root too. Memory held: the set of
 * checked directories, bounded by {@linkcode MAX_CHECKED_DIRECTORIES}.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";
import { checkPrefix, checkRange, storageError } from "./_checks.ts";
import {
  type StorageBackend,
  type StorageStat,
  validateStorageKey,
  type WriteOptions,
} from "./storage_backend.ts";

/**
 * Directories whose real path was checked and is cached. A live packager
 * touches a handful; the cap only bounds memory for adversarial key sets
 * (the cache is cleared when full, which costs re-checks, not correctness).
 *
 * @example
 * ```ts
 * import { MAX_CHECKED_DIRECTORIES } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_CHECKED_DIRECTORIES >= 1024);
 * ```
 */
export const MAX_CHECKED_DIRECTORIES = 4096;

/**
 * Writes up to this size go through one `Deno.writeFile` op (which copies
 * the bytes off the JS heap); larger ones (segments) are written from the
 * caller's buffer without a copy (open, write, close).
 */
const SMALL_WRITE_BYTES = 64 * 1024;

/** Name prefix of in-flight temporary files; `list()` never reports them. */
const TEMP_PREFIX = ".arcly-tmp-";

/**
 * Options for {@linkcode FsStorage}.
 *
 * @example
 * ```ts
 * import type { FsStorageOptions } from "@arcly/stream/storage";
 * const options: FsStorageOptions = { root: "/var/lib/arcly" };
 * ```
 */
export interface FsStorageOptions {
  /** Directory holding every object; created when missing. */
  root: string;
  /** Permission bits for new files (before umask). Default 0o644. */
  fileMode?: number;
}

/**
 * A {@linkcode StorageBackend} on disk under one root directory.
 *
 * @example Atomic put under a temporary root
 * ```ts
 * import { FsStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * const storage = new FsStorage({ root });
 * await storage.put("live/cam/index.m3u8", new TextEncoder().encode("#EXTM3U\n"));
 * assert.equal(await Deno.readTextFile(`${root}/live/cam/index.m3u8`), "#EXTM3U\n");
 * await assert.rejects(storage.get("../outside"), { code: "InvalidInput" });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class FsStorage implements StorageBackend {
  #root: string;
  #fileMode: number;
  #realRoot: Promise<string> | undefined;
  #checkedDirs = new Set<string>();
  /** Temporary names: a random id per store and a counter (createNew refuses a clash). */
  #tempId = crypto.randomUUID();
  #tempCount = 0;

  /**
   * Open (lazily create) a store under `options.root`.
   *
   * @param options the root directory and file mode
   */
  constructor(options: FsStorageOptions) {
    if (!options.root) {
      throw new StreamError(
        "InvalidInput",
        "Cannot open FsStorage: root is empty",
      );
    }
    this.#root = options.root.replace(/\/+$/, "") || "/";
    this.#fileMode = options.fileMode ?? 0o644;
  }

  /** The root directory, as given. */
  get root(): string {
    return this.#root;
  }

  /** {@inheritDoc StorageBackend.put} */
  put(key: string, bytes: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.#putTemp(key, [bytes], options);
  }

  /**
   * {@inheritDoc StorageBackend.putChunks}
   *
   * @example An LL-HLS segment from its parts
   * ```ts
   * import { FsStorage } from "@arcly/stream/storage";
   * import assert from "node:assert/strict";
   *
   * const root = await Deno.makeTempDir();
   * const storage = new FsStorage({ root });
   * await storage.putChunks("live/cam/seg1.ts", [Uint8Array.of(1, 2), Uint8Array.of(3)]);
   * assert.deepEqual([...(await storage.get("live/cam/seg1.ts"))!], [1, 2, 3]);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putChunks(
    key: string,
    chunks: readonly Uint8Array[],
    options?: WriteOptions,
  ): Promise<void> {
    return this.#putTemp(key, chunks, options);
  }

  /** Write `chunks` in order to a temporary file, then rename it over the key. */
  #putTemp(
    key: string,
    chunks: readonly Uint8Array[],
    options: WriteOptions | undefined,
  ): Promise<void> {
    return this.#write("put", key, false, async (path) => {
      const temp = `${dirOf(path)}/${TEMP_PREFIX}${this.#tempId}-${this
        .#tempCount++}`;
      try {
        await this.#writeFile(
          temp,
          { write: true, createNew: true },
          chunks,
          options,
        );
        await Deno.rename(temp, path);
      } catch (error) {
        await Deno.remove(temp).catch(() => {/* never created, or gone */});
        throw error;
      }
    });
  }

  /** {@inheritDoc StorageBackend.append} */
  append(
    key: string,
    bytes: Uint8Array,
    options?: WriteOptions,
  ): Promise<void> {
    return this.#write(
      "append to",
      key,
      true,
      (path) =>
        this.#writeFile(path, { append: true, create: true }, [bytes], options),
    );
  }

  /** Open `path` with `open`, write all of `chunks` in order, optionally fsync, close. */
  async #writeFile(
    path: string,
    open: Deno.OpenOptions,
    chunks: readonly Uint8Array[],
    options: WriteOptions | undefined,
  ): Promise<void> {
    if (
      !options?.sync && chunks.length === 1 &&
      chunks[0]!.length <= SMALL_WRITE_BYTES
    ) {
      // One op (open, write all, close) instead of three; it copies the
      // bytes, so only for small objects (a playlist).
      return await Deno.writeFile(path, chunks[0]!, {
        append: open.append ?? false,
        create: open.create ?? false,
        createNew: open.createNew ?? false,
        mode: this.#fileMode,
      });
    }
    const file = await Deno.open(path, { ...open, mode: this.#fileMode });
    try {
      for (const bytes of chunks) await writeAll(file, bytes);
      if (options?.sync) await file.syncData();
    } finally {
      file.close();
    }
  }

  /**
   * Run `write` on the key's path. When its directory vanished since it was
   * checked (NotFound), re-create it and try once more.
   */
  async #write(
    action: string,
    key: string,
    followsLeaf: boolean,
    write: (path: string) => Promise<void>,
  ): Promise<void> {
    let path = await this.#pathFor(key, true, followsLeaf);
    try {
      return await write(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw storageError(action, key, error);
      }
    }
    this.#checkedDirs.delete(dirOf(path));
    path = await this.#pathFor(key, true, followsLeaf);
    try {
      await write(path);
    } catch (error) {
      throw storageError(action, key, error);
    }
  }

  /** {@inheritDoc StorageBackend.get} */
  async get(key: string): Promise<Uint8Array<ArrayBuffer> | null> {
    const path = await this.#pathFor(key, false);
    if (path === null) return null;
    try {
      return await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw storageError("read", key, error);
    }
  }

  /** {@inheritDoc StorageBackend.getRange} */
  async getRange(
    key: string,
    start: number,
    endExclusive: number,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    checkRange(start, endExclusive);
    const path = await this.#pathFor(key, false);
    if (path === null) return null;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw storageError("read", key, error);
    }
    try {
      const size = (await file.stat()).size;
      const from = Math.min(start, size);
      const out = new Uint8Array(Math.min(endExclusive, size) - from);
      await file.seek(from, Deno.SeekMode.Start);
      let filled = 0;
      while (filled < out.length) {
        const n = await file.read(out.subarray(filled));
        if (n === null) break; // truncated concurrently: return what exists
        filled += n;
      }
      return out.subarray(0, filled);
    } catch (error) {
      throw storageError("read", key, error);
    } finally {
      file.close();
    }
  }

  /** {@inheritDoc StorageBackend.stat} */
  async stat(key: string): Promise<StorageStat | null> {
    const path = await this.#pathFor(key, false);
    if (path === null) return null;
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) return null;
      return { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw storageError("stat", key, error);
    }
  }

  /** {@inheritDoc StorageBackend.delete} */
  async delete(key: string): Promise<boolean> {
    const path = await this.#pathFor(key, false, false);
    if (path === null) return false;
    try {
      await Deno.remove(path);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw storageError("delete", key, error);
    }
  }

  /** {@inheritDoc StorageBackend.list} */
  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    const slash = prefix.lastIndexOf("/");
    const base = slash < 0 ? "" : prefix.slice(0, slash);
    const keys: string[] = [];
    try {
      await this.#walk(base, prefix, keys);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw storageError("list", prefix || "/", error);
    }
    return keys.sort();
  }

  async #walk(dir: string, prefix: string, out: string[]): Promise<void> {
    const path = dir === "" ? this.#root : `${this.#root}/${dir}`;
    for await (const entry of Deno.readDir(path)) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const key = dir === "" ? entry.name : `${dir}/${entry.name}`;
      // Skip subtrees that cannot hold a match.
      if (!key.startsWith(prefix) && !prefix.startsWith(key + "/")) continue;
      if (entry.isDirectory) await this.#walk(key, prefix, out);
      else if (entry.isFile && key.startsWith(prefix)) out.push(key);
    }
  }

  /**
   * Validate `key`, make sure its directory lies under the real root
   * (creating it when `create`), and return the file path. Returns null when
   * the directory is missing and `create` is false. `followsLeaf` false (the
   * operation acts on a symlink itself, not its target) skips the leaf check.
   */
  async #pathFor(
    key: string,
    create: true,
    followsLeaf?: boolean,
  ): Promise<string>;
  async #pathFor(
    key: string,
    create: false,
    followsLeaf?: boolean,
  ): Promise<string | null>;
  async #pathFor(
    key: string,
    create: boolean,
    followsLeaf = true,
  ): Promise<string | null> {
    validateStorageKey(key);
    const path = `${this.#root}/${key}`;
    const dir = dirOf(path);
    if (this.#checkedDirs.has(dir)) {
      return followsLeaf ? await this.#checkLeaf(key, path) : path;
    }
    const realRoot = await this.#resolveRoot();
    let realDir: string;
    try {
      if (create) await Deno.mkdir(dir, { recursive: true });
      realDir = await Deno.realPath(dir);
    } catch (error) {
      if (!create && error instanceof Deno.errors.NotFound) return null;
      throw storageError(
        create ? "create directory for" : "resolve",
        key,
        error,
      );
    }
    if (realDir !== realRoot && !realDir.startsWith(realRoot + "/")) {
      throw escapes(key);
    }
    if (this.#checkedDirs.size >= MAX_CHECKED_DIRECTORIES) {
      this.#checkedDirs.clear();
    }
    this.#checkedDirs.add(dir);
    return followsLeaf ? await this.#checkLeaf(key, path) : path;
  }

  /** Refuse a key that is itself a symlink pointing outside the root. */
  async #checkLeaf(key: string, path: string): Promise<string> {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch {
      return path; // missing (or unreadable): the operation itself reports it
    }
    if (!info.isSymlink) return path;
    const realRoot = await this.#resolveRoot();
    const real = await Deno.realPath(path).catch(() => null);
    if (real === null || !real.startsWith(realRoot + "/")) throw escapes(key);
    return path;
  }

  #resolveRoot(): Promise<string> {
    this.#realRoot ??= (async () => {
      try {
        await Deno.mkdir(this.#root, { recursive: true });
        return await Deno.realPath(this.#root);
      } catch (error) {
        this.#realRoot = undefined;
        throw storageError("open root", this.#root, error);
      }
    })();
    return this.#realRoot;
  }
}

function escapes(key: string): StreamError {
  return new StreamError(
    "InvalidInput",
    `Cannot use storage key ${
      JSON.stringify(key)
    }: it resolves outside the storage root`,
  );
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}
