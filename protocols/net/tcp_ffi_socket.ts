/**
 * {@linkcode FfiTcpSocket}: a TCP connection of the FFI backend that no
 * epoll watches, read and written only when its owner asks, synchronously
 * (`tryRead`, `trySend`). Made by {@linkcode FfiTcpListener.acceptUnwatched}:
 * the listener's poller waits for the one accept, the accepted socket is
 * never registered in it. Its owner polls it on a timer of its own (e.g. a
 * tick shared by several sockets), so a peer's writes never wake the event
 * loop: one wake-up per tick drains whatever arrived meanwhile.
 *
 * Data path: `tryRead(p)` is one `recv(MSG_DONTWAIT)` straight into the
 * caller's `p` (no buffer here); `trySend(p)` one
 * `send(MSG_DONTWAIT|MSG_NOSIGNAL)` from the caller's bytes (no copy; a
 * partial count when the socket buffer fills). Nothing is queued here: the
 * kernel socket buffers bound what is in flight, the owner keeps what did
 * not fit. `EAGAIN` is the return value {@linkcode TRY_AGAIN} (-1), never
 * an exception; other errors are the `Deno.errors` classes of the backend
 * (`ConnectionReset`, `BrokenPipe`, `BadResource` after close, ...).
 *
 * @module
 */
import { errno, type Libc } from "./_libc.ts";
import {
  closedError,
  osError,
  recvNow,
  sendNow,
  TRY_AGAIN,
} from "./tcp_ffi_conn.ts";

export { TRY_AGAIN };

const SHUT_WR = 1;

/**
 * A TCP connection of the FFI backend read and written synchronously, off
 * any epoll (see the module doc). Needs Linux and `--allow-ffi`; made by
 * {@linkcode FfiTcpListener.acceptUnwatched}.
 *
 * @example
 * ```ts
 * import { FfiTcpListener, TRY_AGAIN, tcpFfiAvailable } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * if (tcpFfiAvailable()) {
 *   const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
 *   const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 *   const socket = await listener.acceptUnwatched();
 *   listener.close();
 *   const buf = new Uint8Array(8);
 *   assert.equal(socket.tryRead(buf), TRY_AGAIN); // nothing sent yet
 *   await client.write(new Uint8Array([1, 2, 3]));
 *   await new Promise((r) => setTimeout(r, 20)); // (the owner's tick)
 *   assert.equal(socket.tryRead(buf), 3);
 *   client.close();
 *   await new Promise((r) => setTimeout(r, 20));
 *   assert.equal(socket.tryRead(buf), 0); // end of stream
 *   socket.close();
 * }
 * ```
 */
export class FfiTcpSocket {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #remote: Deno.NetAddr;
  #closed = false;

  /** @internal Wrap an accepted non-blocking `fd` (never registered in an epoll). */
  constructor(libc: Libc, fd: number, remote: Deno.NetAddr) {
    this.#libc = libc;
    this.#fd = fd;
    this.#remote = remote;
  }

  /** The peer's address. */
  get remoteAddr(): Deno.NetAddr {
    return this.#remote;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Read into `p` now, without waiting.
   *
   * @param p where the bytes go (written directly by the kernel)
   * @returns the byte count (> 0), 0 at end of stream, or
   *   {@linkcode TRY_AGAIN} when nothing is there yet
   * @throws the `Deno.errors` class of the errno (`ConnectionReset`, ...);
   *   `BadResource` once closed
   */
  tryRead(p: Uint8Array): number {
    if (this.#closed) throw closedError();
    return p.length === 0 ? 0 : recvNow(this.#libc, this.#fd, p);
  }

  /**
   * Send from `p` now (not copied), without waiting.
   *
   * @param p the bytes
   * @returns how many bytes the socket took (possibly fewer than
   *   `p.length`), or {@linkcode TRY_AGAIN} when its buffer is full
   * @throws the `Deno.errors` class of the errno (`BrokenPipe`,
   *   `ConnectionReset`, ...); `BadResource` once closed
   */
  trySend(p: Uint8Array): number {
    if (this.#closed) throw closedError();
    return p.length === 0 ? 0 : sendNow(this.#libc, this.#fd, p);
  }

  /**
   * Send FIN (`shutdown(SHUT_WR)`); reading goes on.
   *
   * @throws `BadResource` once closed, else the errno's class
   */
  closeWrite(): void {
    if (this.#closed) throw closedError();
    if (this.#libc.shutdown(this.#fd, SHUT_WR) < 0) {
      throw osError(errno(), "shut a TCP socket down");
    }
  }

  /** Close the socket (FIN first, as Deno does); later calls throw `BadResource`. */
  close(): void {
    if (this.#closed) throw closedError();
    this.#closed = true;
    this.#libc.shutdown(this.#fd, SHUT_WR);
    this.#libc.close(this.#fd);
  }

  /** Close unless closed. */
  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}
