// Private socket helpers for the RTMP server and client: a serialized write
// queue so that control replies and media batches never interleave
// mid-message (full writes and quiet closes are the shared ones in
// protocols/net/).
//
// Hot path: a player writes one shared batch per flush tick (the egress
// session's pump), so the queue is almost always idle when a write comes.
// Then `writeNow()` hands the bytes to a socket that can take them without
// waiting (`tryWrite`: libc's non-blocking send) and, when it took them all,
// returns `undefined`: no promise at all. Otherwise (a full socket, Deno's
// own sockets) `write()` returns `conn.write(bytes).then(written, broken)`:
// one promise of its own, no closure, no array, no async frame
// (`written`/`broken` are bound once per queue and the bytes in flight sit in
// two fields). Only a write that arrives while another is on the socket (a
// ping reply during a media write) is chained, with one closure.

import { tryWriteOf } from "../net/mod.ts";

const EMPTY = new Uint8Array(0);
const RESOLVED: Promise<void> = Promise.resolve();
/** Parts below this size are joined into one write with their neighbours. */
const SMALL_PART_BYTES = 16 * 1024;

function ignore(): void {}

/** Serializes writes on one connection; the first failure sticks. */
export class WriteQueue {
  #conn: Deno.Conn;
  #failed: unknown = undefined;
  #onWrite: (bytes: number) => void;
  #pending = 0;
  /** Writes accepted and not yet settled (0: the socket is free). */
  #queued = 0;
  /** The last accepted write; the next one starts when it settles. */
  #tail: Promise<void> = RESOLVED;
  /** The bytes on the socket now, and how many of them were written. */
  #buf: Uint8Array = EMPTY;
  #off = 0;

  #tryWrite: ((bytes: Uint8Array) => number) | undefined;

  constructor(conn: Deno.Conn, onWrite: (bytes: number) => void = ignore) {
    this.#conn = conn;
    this.#onWrite = onWrite;
    this.#tryWrite = tryWriteOf(conn);
  }

  /**
   * Write `bytes` now when the socket takes them all without waiting
   * (returns `undefined`: nothing allocated), else queue what is left as
   * `write` does.
   *
   * @param bytes not copied: must not change until written
   * @returns `undefined` when written, else resolves when handed to the socket
   */
  writeNow(bytes: Uint8Array): Promise<void> | undefined {
    const tryWrite = this.#tryWrite;
    if (
      tryWrite === undefined || this.#queued !== 0 ||
      this.#failed !== undefined || bytes.length === 0
    ) return this.write(bytes);
    let n: number;
    try {
      n = tryWrite(bytes);
    } catch (error) {
      this.#failed = error;
      return Promise.reject(error);
    }
    if (n > 0) this.#onWrite(n);
    return n === bytes.length ? undefined : this.write(bytes.subarray(n));
  }

  /**
   * Queue bytes; resolves when they were handed to the socket.
   *
   * @param bytes not copied: must not change until the promise settles
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    this.#pending += bytes.length;
    const done = this.#queued++ === 0
      ? this.#start(bytes)
      : this.#tail.then(() => this.#start(bytes), () => this.#start(bytes));
    this.#tail = done;
    return done;
  }

  /**
   * Queue several messages in order: runs of small parts (control replies)
   * are joined into one write, large parts (media batches) go as they are.
   *
   * @param parts the messages, in order
   * @returns resolves when all were handed to the socket
   */
  writeParts(parts: readonly Uint8Array[]): Promise<void> {
    let last = RESOLVED;
    for (let i = 0; i < parts.length;) {
      const part = parts[i++]!;
      if (part.length >= SMALL_PART_BYTES || i === parts.length) {
        last = this.write(part);
        continue;
      }
      let end = i;
      let size = part.length;
      while (end < parts.length && parts[end]!.length < SMALL_PART_BYTES) {
        size += parts[end++]!.length;
      }
      if (end === i) {
        last = this.write(part);
        continue;
      }
      const joined = new Uint8Array(size);
      joined.set(part, 0);
      let at = part.length;
      for (; i < end; i++) {
        joined.set(parts[i]!, at);
        at += parts[i]!.length;
      }
      last = this.write(joined);
    }
    return last;
  }

  /** Bytes queued or being written (what this connection holds for its peer). */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** Resolves once everything queued so far is written (or failed). */
  drain(): Promise<void> {
    return this.#queued === 0 ? RESOLVED : this.#tail.then(ignore, ignore);
  }

  #start(bytes: Uint8Array): Promise<void> {
    if (this.#failed !== undefined) {
      this.#settle(bytes.length);
      return Promise.reject(this.#failed);
    }
    this.#buf = bytes;
    this.#off = 0;
    return this.#conn.write(bytes).then(this.#written, this.#broken);
  }

  #written = (n: number): Promise<void> | undefined => {
    const buf = this.#buf;
    this.#off += n;
    if (this.#off < buf.length) {
      return this.#conn.write(buf.subarray(this.#off)).then(
        this.#written,
        this.#broken,
      );
    }
    this.#buf = EMPTY;
    this.#settle(buf.length);
    this.#onWrite(buf.length);
    return undefined;
  };

  #broken = (error: unknown): never => {
    this.#failed ??= error;
    const size = this.#buf.length;
    this.#buf = EMPTY;
    this.#settle(size);
    throw error;
  };

  #settle(size: number): void {
    this.#pending -= size;
    this.#queued--;
  }
}
