// Socket helpers of the origin's HTTP/1.1 server: full writes over a
// Deno.Conn (which may write partially), quiet close, and which errors mean
// "the peer went away" rather than a fault.

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

/** Close a connection, ignoring "already closed". */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/** True for the errors a peer that went away causes. */
export function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.UnexpectedEof;
}

/** `parts` joined into one array of `total` bytes. */
export function concat(
  parts: readonly Uint8Array[],
  total: number,
): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What a connection offers the response writers and direct bodies. */
export interface ConnIo {
  /** The socket (direct bodies write to it without the queueing of `write`). */
  readonly conn: Deno.Conn;
  /** True once the socket was closed. */
  readonly closed: boolean;
  /** Write all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Close the socket now (pending reads and writes reject). */
  abort(): void;
}
