/**
 * Socket helpers every protocol shares: full writes over a `Deno.Conn`
 * (which may write partially), a quiet close, the one answer to "did the
 * peer go away?" and Nagle off for latency-sensitive writers.
 *
 * Data path: `writeAll` writes the caller's bytes as they are (no copy; a
 * partial write continues on a view), so a shared batch stays shared.
 *
 * @module
 */

/**
 * Write every byte of `bytes`, looping over partial writes.
 *
 * @param conn the connection
 * @param bytes what to write (not copied)
 * @returns resolves once the socket took every byte
 *
 * @example
 * ```ts ignore
 * import { writeAll } from "./socket_io.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 1935 });
 * await writeAll(conn, new Uint8Array([3]));
 * ```
 */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let p = 0;
  while (p < bytes.length) {
    p += await conn.write(p === 0 ? bytes : bytes.subarray(p));
  }
}

/**
 * Write from `bytes` now, without waiting: a connection that can
 * (`FfiTcpConn.tryWrite`, libc's non-blocking `send`) returns how many
 * bytes its socket took (0 when full); any other gives `undefined` (write
 * through the promise). For the egress pumps: a batch the socket takes
 * whole costs no promise.
 *
 * @param conn the connection
 * @returns the connection's `tryWrite`, bound, or `undefined`
 *
 * @example
 * ```ts ignore
 * import { tryWriteOf } from "./socket_io.ts";
 * import assert from "node:assert/strict";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 1935 });
 * assert.equal(tryWriteOf(conn), undefined); // Deno's own sockets cannot
 * ```
 */
export function tryWriteOf(
  conn: Deno.Conn,
): ((bytes: Uint8Array) => number) | undefined {
  const tryWrite = (conn as { tryWrite?: unknown }).tryWrite;
  return typeof tryWrite === "function"
    ? (tryWrite as (bytes: Uint8Array) => number).bind(conn)
    : undefined;
}

/**
 * Close a connection or listener, ignoring "already closed".
 *
 * @param closable anything with `close()`
 *
 * @example
 * ```ts
 * import { closeQuietly } from "./socket_io.ts";
 * import assert from "node:assert/strict";
 *
 * let closes = 0;
 * closeQuietly({ close: () => { closes++; } });
 * closeQuietly({ close: () => { throw new Deno.errors.BadResource("closed"); } });
 * assert.equal(closes, 1);
 * ```
 */
export function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/**
 * True for the errors a peer that went away causes (reset, aborted, broken
 * pipe, closed resource, interrupted, not connected, unexpected EOF): the
 * one policy every protocol uses to tell a departure from a fault.
 *
 * @param error what a read or write threw
 * @returns whether it means "the peer is gone"
 *
 * @example
 * ```ts
 * import { isDisconnect } from "./socket_io.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isDisconnect(new Deno.errors.ConnectionAborted("x")), true);
 * assert.equal(isDisconnect(new Deno.errors.ConnectionReset("x")), true);
 * assert.equal(isDisconnect(new Error("bug")), false);
 * ```
 */
export function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.UnexpectedEof;
}

/**
 * Turn Nagle's algorithm off on a TCP connection (a no-op for others or a
 * closed one): writers that send whole messages or batches must not wait
 * for the peer's delayed ACK (40 ms on Linux).
 *
 * @param conn the connection
 *
 * @example
 * ```ts
 * import { noDelay } from "./socket_io.ts";
 * noDelay({} as Deno.Conn); // not TCP: nothing happens
 * ```
 */
export function noDelay(conn: Deno.Conn): void {
  const tcp = conn as Partial<Deno.TcpConn>;
  if (typeof tcp.setNoDelay !== "function") return;
  try {
    tcp.setNoDelay(true);
  } catch {
    // already closed: the first read reports it
  }
}
