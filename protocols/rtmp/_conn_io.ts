// Private socket helpers for the RTMP server and client: full writes over
// Deno.Conn (which may write partially) and a serialized write queue so that
// control replies and media batches never interleave mid-message.

/** Write every byte of `bytes`, looping over partial writes. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let p = 0;
  while (p < bytes.length) {
    p += await conn.write(p === 0 ? bytes : bytes.subarray(p));
  }
}

/** Serializes writes on one connection; the first failure sticks. */
export class WriteQueue {
  #conn: Deno.Conn;
  #tail: Promise<void> = Promise.resolve();
  #failed: unknown = undefined;
  #onWrite: (bytes: number) => void;
  #pending = 0;

  constructor(conn: Deno.Conn, onWrite: (bytes: number) => void = () => {}) {
    this.#conn = conn;
    this.#onWrite = onWrite;
  }

  /** Queue bytes; resolves when they were handed to the socket. */
  write(...parts: Uint8Array[]): Promise<void> {
    let size = 0;
    for (const p of parts) size += p.length;
    this.#pending += size;
    const next = this.#tail.then(async () => {
      if (this.#failed !== undefined) throw this.#failed;
      try {
        for (const bytes of parts) {
          await writeAll(this.#conn, bytes);
          this.#onWrite(bytes.length);
        }
      } catch (error) {
        this.#failed = error;
        throw error;
      } finally {
        this.#pending -= size;
      }
    });
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Bytes queued or being written (what this connection holds for its peer). */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** Resolves once everything queued so far is written (or failed). */
  drain(): Promise<void> {
    return this.#tail;
  }
}

/** Close a connection, ignoring "already closed". */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}
