// Socket helpers of the origin's HTTP/1.1 server: which errors mean "the
// peer went away" rather than a fault, joining small parts, and what a
// connection offers its writers (full writes and closes are the shared
// ones in src/_socket_io.ts).
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
