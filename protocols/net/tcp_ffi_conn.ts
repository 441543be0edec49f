/**
 * A plain-TCP backend over libc (Deno FFI, Linux): {@linkcode FfiTcpListener}
 * and {@linkcode FfiTcpConn} satisfy `Deno.TcpListener` / `Deno.TcpConn`, so
 * the RTMP and HTTP servers take them unchanged. A connection is an fd and
 * a small JS object: no runtime resource, no pending native read, no
 * runtime-side buffer.
 *
 * Data path: `read(p)` calls `recv(MSG_DONTWAIT)` straight into the
 * caller's `p`; on `EAGAIN` it parks one resolver (no buffer of its own)
 * until its listener's epoll registry (`_tcp_poller.ts`, one edge-triggered
 * `epoll_wait` off the main thread per listener) reports the socket
 * readable, then retries. A read that returned less than `p` held drained
 * the socket (TCP's `recv` takes everything queued, up to the length), so
 * the next read parks at once instead of paying a `recv` that can only
 * say `EAGAIN`, unless a readable edge came in between (as tokio does): for
 * a publisher that halves the read syscalls. Once an edge said the peer
 * closed (`EPOLLRDHUP`, `HUP`, `ERR`, which may come with the last bytes
 * and is never repeated), every read tries the socket again. `write(p)`
 * calls `send(MSG_DONTWAIT|MSG_NOSIGNAL)` from the caller's bytes (no
 * copy; a partial count is returned as Deno does); on `EAGAIN` it waits for
 * `EPOLLOUT`. `tryWrite(p)` is the same `send` with no promise (0 when the
 * socket is full; the caller then falls back to `write`), what the egress
 * pumps write with; its length argument (a bigint for `size_t`) is the
 * listener's kept one when the length repeats, as it does for every viewer
 * of one tick. The caller serializes once
 * and owns the bytes; the kernel socket buffers bound what is in flight.
 * Memory: at most one parked read and one parked write per connection (a
 * second concurrent call shares the wake-up), nothing queued here.
 *
 * The listener is in `tcp_ffi.ts`. Errors are the classes Deno throws (`ConnectionReset`, `BrokenPipe`,
 * `BadResource` after close, ...), so `isDisconnect()` and the servers'
 * error handling apply unchanged. TLS stays on `Deno.listenTls`.
 *
 * @module
 */
import {
  EAGAIN,
  EINTR,
  errno,
  type Libc,
  MSG_DONTWAIT,
  SOL_SOCKET,
} from "./_libc.ts";
import { decodeSockaddr, SOCKADDR_MAX } from "./_sockaddr.ts";
import type { PollTarget, TcpPoller } from "./_tcp_poller.ts";

const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const SHUT_WR = 1;
const MSG_NOSIGNAL = 0x4000;
const SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL;
export const READABLE = 0x1 | 0x8 | 0x10 | 0x2000; // IN | ERR | HUP | RDHUP
const WRITABLE = 0x4 | 0x8 | 0x10; // OUT | ERR | HUP
const CLOSED = 0x8 | 0x10 | 0x2000; // ERR | HUP | RDHUP

/** The `Deno.errors` class Deno throws for an errno (else a plain Error). */
export function osError(code: number, action: string): Error {
  const message = `Cannot ${action}: os error ${code}`;
  switch (code) {
    case 104:
      return new Deno.errors.ConnectionReset(message);
    case 32:
      return new Deno.errors.BrokenPipe(message);
    case 103:
      return new Deno.errors.ConnectionAborted(message);
    case 107:
      return new Deno.errors.NotConnected(message);
    case 110:
      return new Deno.errors.TimedOut(message);
    case 111:
      return new Deno.errors.ConnectionRefused(message);
    case 9:
      return new Deno.errors.BadResource(message);
    case 98:
      return new Deno.errors.AddrInUse(message);
    case 99:
      return new Deno.errors.AddrNotAvailable(message);
    case 13:
    case 1:
      return new Deno.errors.PermissionDenied(message);
    default:
      return new Error(message);
  }
}

/**
 * What {@linkcode recvNow} and {@linkcode sendNow} (and so
 * `FfiTcpSocket.tryRead` / `trySend`) return when the socket would block
 * (`EAGAIN`): nothing to read yet, or no room to send.
 *
 * @example
 * ```ts
 * import { TRY_AGAIN } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TRY_AGAIN, -1);
 * ```
 */
export const TRY_AGAIN: -1 = -1;

/**
 * One `recv(MSG_DONTWAIT)` of a non-blocking socket straight into `p`
 * (`EINTR` retried): the byte count (0 at end of stream) or
 * {@linkcode TRY_AGAIN}; any other errno is thrown as its `Deno.errors`
 * class. The one read syscall of the backend's connections.
 */
export function recvNow(libc: Libc, fd: number, p: Uint8Array): number {
  for (;;) {
    const n = libc.recv(
      fd,
      p as Uint8Array<ArrayBuffer>,
      BigInt(p.length),
      MSG_DONTWAIT,
    );
    if (n >= 0) return n;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EAGAIN) return TRY_AGAIN;
    throw osError(code, "read from a TCP socket");
  }
}

/**
 * One `send(MSG_DONTWAIT|MSG_NOSIGNAL)` from `p` (not copied; `EINTR`
 * retried): the bytes the socket took (possibly fewer) or
 * {@linkcode TRY_AGAIN}; any other errno is thrown as its `Deno.errors`
 * class. The one write syscall of the backend's connections. `length` is
 * `p.length` as a bigint (a caller may pass a kept one).
 */
export function sendNow(
  libc: Libc,
  fd: number,
  p: Uint8Array,
  length: bigint = BigInt(p.length),
): number {
  for (;;) {
    const n = libc.send(
      fd,
      p as Uint8Array<ArrayBuffer>,
      length,
      SEND_FLAGS,
    );
    if (n >= 0) return n;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EAGAIN) return TRY_AGAIN;
    throw osError(code, "write to a TCP socket");
  }
}

/** What a read or write parked when the socket closed rejects with. */
function canceledError(): Error {
  return new Deno.errors.Interrupted("operation canceled");
}

export function closedError(): Error {
  return new Deno.errors.BadResource("Cannot use the socket: it is closed");
}

export type Wake = (open: boolean) => void;

/** Park a resolver in `slot` (sharing it with one already parked). */
export function park(
  previous: Wake | undefined,
  set: (w: Wake) => void,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    set(
      previous === undefined ? resolve : (open) => {
        previous(open);
        resolve(open);
      },
    );
  });
}

/**
 * One accepted TCP connection of the FFI backend (see the module doc).
 * `ref()`/`unref()` are no-ops: the listener's poller keeps the process alive
 * while any FFI socket is open.
 *
 * @example
 * ```ts ignore
 * import { FfiTcpListener } from "./mod.ts";
 * const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await listener.accept(); // an FfiTcpConn
 * ```
 */
export class FfiTcpConn implements Deno.TcpConn, PollTarget {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #poller: TcpPoller;
  readonly #token: number;
  readonly #remote: Deno.NetAddr;
  #local: Deno.NetAddr | undefined;
  #closed = false;
  /** False after a read drained the socket, until the next readable edge. */
  #mayRead = true;
  /** The peer's FIN or an error was reported: reads never wait again. */
  #peerClosed = false;
  #readWake: Wake | undefined;
  #writeWake: Wake | undefined;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** @internal Wrap an accepted non-blocking `fd` (registered here). */
  constructor(libc: Libc, fd: number, remote: Deno.NetAddr, poller: TcpPoller) {
    this.#libc = libc;
    this.#fd = fd;
    this.#remote = remote;
    this.#poller = poller;
    this.#token = poller.add(fd, this);
  }

  /** The peer's address. */
  get remoteAddr(): Deno.NetAddr {
    return this.#remote;
  }

  /** This end's address (read from the kernel once). */
  get localAddr(): Deno.NetAddr {
    if (this.#local === undefined) {
      if (this.#closed) throw closedError();
      const sa = new Uint8Array(SOCKADDR_MAX);
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, SOCKADDR_MAX, true);
      if (this.#libc.getsockname(this.#fd, sa, len) < 0) {
        throw osError(errno(), "read the local address");
      }
      this.#local = decodeSockaddr(sa);
    }
    return this.#local;
  }

  /** @internal Readiness from the poller. */
  _ready(events: number): void {
    if ((events & READABLE) !== 0) {
      this.#mayRead = true;
      // The peer's FIN (or an error) comes as one edge, maybe with the
      // last bytes: every read from then on tries the socket.
      if ((events & CLOSED) !== 0) this.#peerClosed = true;
      const wake = this.#readWake;
      if (wake) {
        this.#readWake = undefined;
        wake(true);
      }
    }
    if ((events & WRITABLE) !== 0 && this.#writeWake) {
      const wake = this.#writeWake;
      this.#writeWake = undefined;
      wake(true);
    }
  }

  /**
   * Read into `p`: the byte count, or null at end of stream.
   *
   * @param p where the bytes go (written directly by the kernel)
   */
  read(p: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.reject(closedError());
    if (p.length === 0) return Promise.resolve(0);
    if (!this.#mayRead) return this.#readLater(p);
    let n: number;
    try {
      n = this.#recv(p);
    } catch (error) {
      return Promise.reject(error);
    }
    if (n === TRY_AGAIN) return this.#readLater(p);
    return Promise.resolve(n === 0 ? null : n);
  }

  async #readLater(p: Uint8Array): Promise<number | null> {
    for (;;) {
      const open = await park(this.#readWake, (w) => (this.#readWake = w));
      if (!open || this.#closed) throw canceledError();
      const n = this.#recv(p);
      if (n !== TRY_AGAIN) return n === 0 ? null : n;
    }
  }

  /** One `recv`; a short count or `EAGAIN` means drained (see the module doc). */
  #recv(p: Uint8Array): number {
    const n = recvNow(this.#libc, this.#fd, p);
    // End of stream stays readable (every later read says null again).
    this.#mayRead = n === p.length || n === 0 || this.#peerClosed;
    return n;
  }

  /**
   * Write from `p` (not copied): how many bytes the socket took (at least
   * one; fewer than `p.length` when its buffer filled, as with Deno).
   *
   * @param p the bytes
   */
  write(p: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    if (p.length === 0) return Promise.resolve(0);
    let n: number;
    try {
      n = sendNow(this.#libc, this.#fd, p);
    } catch (error) {
      return Promise.reject(error);
    }
    return n === TRY_AGAIN ? this.#writeLater(p) : Promise.resolve(n);
  }

  /**
   * Write from `p` now, without waiting (no promise): how many bytes the
   * socket took, 0 when its buffer is full (then `write` waits for room).
   *
   * @param p the bytes (not copied)
   * @returns the bytes taken
   * @throws the `Deno.errors` class of a failure (`BadResource` after close)
   */
  tryWrite(p: Uint8Array): number {
    if (this.#closed) throw closedError();
    if (p.length === 0) return 0;
    const n = sendNow(
      this.#libc,
      this.#fd,
      p,
      this.#poller.bigLength(p.length),
    );
    return n === TRY_AGAIN ? 0 : n;
  }

  async #writeLater(p: Uint8Array): Promise<number> {
    for (;;) {
      const open = await park(this.#writeWake, (w) => (this.#writeWake = w));
      if (!open || this.#closed) throw canceledError();
      const n = sendNow(this.#libc, this.#fd, p);
      if (n !== TRY_AGAIN) return n;
    }
  }

  /**
   * Close the socket; a parked read or write rejects `Interrupted` (as with
   * Deno), later calls `BadResource`.
   */
  close(): void {
    if (this.#closed) throw closedError();
    this.#closed = true;
    this.#poller.remove(this.#token, this.#fd);
    // FIN first, as Deno does: unread request bytes then do not turn the
    // close into a reset that destroys the reply the peer has not read.
    this.#libc.shutdown(this.#fd, SHUT_WR);
    this.#libc.close(this.#fd);
    const r = this.#readWake;
    const w = this.#writeWake;
    this.#readWake = this.#writeWake = undefined;
    r?.(false);
    w?.(false);
  }

  /** Send FIN (`shutdown(SHUT_WR)`); reading goes on. */
  closeWrite(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#libc.shutdown(this.#fd, SHUT_WR) < 0) {
      return Promise.reject(osError(errno(), "shut a TCP socket down"));
    }
    return Promise.resolve();
  }

  /** Nagle off (`TCP_NODELAY`), or on again. */
  setNoDelay(noDelay = true): void {
    this.#setInt(IPPROTO_TCP, TCP_NODELAY, noDelay ? 1 : 0);
  }

  /** TCP keep-alive probes on or off (`SO_KEEPALIVE`). */
  setKeepAlive(keepAlive = true): void {
    this.#setInt(SOL_SOCKET, SO_KEEPALIVE, keepAlive ? 1 : 0);
  }

  #setInt(level: number, name: number, value: number): void {
    if (this.#closed) throw closedError();
    const int = new Uint8Array(4);
    new DataView(int.buffer).setInt32(0, value, true);
    if (this.#libc.setsockopt(this.#fd, level, name, int, 4) < 0) {
      throw osError(errno(), "set a TCP socket option");
    }
  }

  /** No-op (see the class doc). */
  ref(): void {}

  /** No-op (see the class doc). */
  unref(): void {}

  /** The bytes read, as a stream (closes the socket when done). */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const buf = new Uint8Array(16 * 1024);
        const n = await this.read(buf);
        if (n === null) {
          controller.close();
          this.#quietClose();
        } else controller.enqueue(buf.subarray(0, n));
      },
      cancel: () => this.#quietClose(),
    });
    return this.#readable;
  }

  /** A stream that writes every chunk fully (closes the socket at the end). */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        let at = 0;
        while (at < chunk.length) at += await this.write(chunk.subarray(at));
      },
      close: () => this.#quietClose(),
      abort: () => this.#quietClose(),
    });
    return this.#writable;
  }

  #quietClose(): void {
    if (!this.#closed) this.close();
  }

  /** Close unless closed. */
  [Symbol.dispose](): void {
    this.#quietClose();
  }
}
