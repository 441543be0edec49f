// Storage I/O and event reporting for HlsSegmenter: every write and delete
// goes through here so that a failure becomes a `storageError` event and the
// stream goes on. Also versions the fMP4 init segment (init.mp4, init1.mp4…),
// across republishes too, so an init URI never names other bytes.
import type { Muxer } from "../muxer.ts";
import { StreamError } from "../stream_error.ts";
import type { StorageBackend } from "../storage/storage_backend.ts";
import type { HlsSegmenterEvent } from "./hls_segmenter_options.ts";

/** Writes files under one prefix and reports what happened. */
export class SegmentWriter {
  readonly #storage: StorageBackend;
  readonly #prefix: string;
  readonly #onEvent: ((event: HlsSegmenterEvent) => void) | undefined;
  #init: { uri: string; bytes: Uint8Array; written: boolean } | undefined;
  #initVersion = 0;

  constructor(
    storage: StorageBackend,
    prefix: string,
    onEvent: ((event: HlsSegmenterEvent) => void) | undefined,
  ) {
    this.#storage = storage;
    this.#prefix = prefix;
    this.#onEvent = onEvent;
  }

  /** URI of the current init segment (EXT-X-MAP), if the format has one. */
  get initUri(): string | undefined {
    return this.#init?.uri;
  }

  /** Go on from `previous`'s init versions (a republish under the same prefix). */
  adopt(previous: SegmentWriter): void {
    this.#init = previous.#init;
    this.#initVersion = previous.#initVersion;
  }

  /** Whether `name` is an init segment this writer produced. */
  isInit(name: string): boolean {
    if (this.#initVersion === 0) return false;
    if (name === "init.mp4") return true;
    const match = /^init(\d+)\.mp4$/.exec(name);
    return match !== null && Number(match[1]) < this.#initVersion;
  }

  /** Storage key of a file name. */
  key(name: string): string {
    return `${this.#prefix}/${name}`;
  }

  /** Write the muxer's init segment when it changed (or the last write failed). */
  async writeInit(muxer: Muxer): Promise<void> {
    const bytes = muxer.initSegment();
    if (bytes === null) return;
    if (!this.#init || !sameBytes(this.#init.bytes, bytes)) {
      const uri = this.#initVersion === 0
        ? "init.mp4"
        : `init${this.#initVersion}.mp4`;
      this.#initVersion++;
      this.#init = { uri, bytes, written: false };
    }
    if (!this.#init.written) {
      this.#init.written = await this.put(this.#init.uri, bytes);
    }
  }

  /**
   * Whether init segment `uri` is in storage; the current one is written
   * again if its last write failed (storage came back mid-segment).
   */
  async ensureInit(uri: string): Promise<boolean> {
    const init = this.#init;
    if (init === undefined || init.uri !== uri) return true; // an older, written version
    if (!init.written) init.written = await this.put(init.uri, init.bytes);
    return init.written;
  }

  /** Put a file; false (and a `storageError` event) on failure. */
  put(name: string, bytes: Uint8Array): Promise<boolean> {
    return this.#stored(name, (key) => this.#storage.put(key, bytes));
  }

  /**
   * Put a file made of `chunks` in order (an LL-HLS segment from its
   * parts): the backend's `putChunks` when it has one, else `put` of the
   * joined bytes; false (and a `storageError` event) on failure.
   */
  putChunks(name: string, chunks: readonly Uint8Array[]): Promise<boolean> {
    const storage = this.#storage;
    return this.#stored(
      name,
      storage.putChunks === undefined
        ? (key) => storage.put(key, concatBytes(chunks))
        : (key) => storage.putChunks!(key, chunks),
    );
  }

  /** Run a write of `name`'s key; false (and a `storageError` event) on failure. */
  async #stored(
    name: string,
    write: (key: string) => Promise<void>,
  ): Promise<boolean> {
    const key = this.key(name);
    try {
      await write(key);
      return true;
    } catch (error) {
      this.emit({
        type: "storageError",
        key,
        error: asStreamError(error, "write", key),
      });
      return false;
    }
  }

  /** Delete a file; a failure becomes a `storageError` event. */
  async delete(name: string): Promise<void> {
    const key = this.key(name);
    try {
      await this.#storage.delete(key);
    } catch (error) {
      this.emit({
        type: "storageError",
        key,
        error: asStreamError(error, "delete", key),
      });
    }
  }

  /** Report an event; observer exceptions are contained. */
  emit(event: HlsSegmenterEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // An observer fault must not stop the stream; the observer owns its errors.
    }
  }
}

function asStreamError(
  error: unknown,
  action: string,
  key: string,
): StreamError {
  if (error instanceof StreamError) return error;
  return new StreamError(
    "Storage",
    `Cannot ${action} ${key}: ${String(error)}`,
    { cause: error },
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenate chunks with one allocation (size first). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
