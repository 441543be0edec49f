// A StorageBackend wrapper whose writes can be switched to fail like a full
// disk (ENOSPC) or a read-only mount (EROFS), then switched back: the fault
// injection the storage-failure tests use. Reads always go through.
import { StreamError } from "../../media/stream_error.ts";
import type { StorageBackend, WriteOptions } from "../../media/storage/mod.ts";

/** Which failure the wrapper simulates. */
export type StorageFault = "none" | "full" | "readOnly";

/** Wraps a backend; `fault` decides whether writes fail. */
export class FlakyStorage implements StorageBackend {
  fault: StorageFault = "none";
  /** Writes refused while faulty. */
  refused = 0;
  /** Writes that went through. */
  written = 0;
  #inner: StorageBackend;

  constructor(inner: StorageBackend) {
    this.#inner = inner;
  }

  #check(action: string, key: string): void {
    if (this.fault === "none") return;
    this.refused++;
    const cause = this.fault === "full"
      ? Object.assign(new Error("No space left on device (os error 28)"), {
        code: "ENOSPC",
      })
      : new Deno.errors.PermissionDenied("Read-only file system (os error 30)");
    throw new StreamError(
      "Storage",
      `Cannot ${action} ${key}: ${
        this.fault === "full" ? "disk full" : "read-only"
      }`,
      { cause },
    );
  }

  async put(
    key: string,
    bytes: Uint8Array,
    options?: WriteOptions,
  ): Promise<void> {
    this.#check("put", key);
    await this.#inner.put(key, bytes, options);
    this.written++;
  }

  async append(
    key: string,
    bytes: Uint8Array,
    options?: WriteOptions,
  ): Promise<void> {
    this.#check("append", key);
    await this.#inner.append(key, bytes, options);
    this.written++;
  }

  async delete(key: string): Promise<boolean> {
    this.#check("delete", key);
    return await this.#inner.delete(key);
  }

  get(key: string): ReturnType<StorageBackend["get"]> {
    return this.#inner.get(key);
  }

  getRange(
    key: string,
    start: number,
    endExclusive: number,
  ): ReturnType<StorageBackend["getRange"]> {
    return this.#inner.getRange(key, start, endExclusive);
  }

  stat(key: string): ReturnType<StorageBackend["stat"]> {
    return this.#inner.stat(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.#inner.list(prefix);
  }
}
