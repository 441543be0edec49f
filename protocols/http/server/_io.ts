// Socket helpers of the origin's HTTP/1.1 server: joining small parts and
// what a connection offers its writers (full writes, closes and the one
// isDisconnect policy are the shared ones in protocols/net/).
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
