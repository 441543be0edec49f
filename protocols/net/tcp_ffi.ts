/**
 * {@linkcode FfiTcpListener} and {@linkcode listenTcp}: the listening side
 * of the FFI TCP backend (connections: `tcp_ffi_conn.ts`, whose module doc
 * has the data path). Each listener opens its own edge-triggered epoll
 * (`_tcp_poller.ts`); `accept4` hands out non-blocking sockets, each
 * registered once in it (`acceptUnwatched()`: never registered, see
 * `tcp_ffi_socket.ts`); an accept that meets `EAGAIN` parks one resolver
 * until the listener is readable. The epoll is released once the
 * listener is closed and its last connection is gone. Memory: one sockaddr
 * scratch per listener, nothing queued.
 *
 * Permissions: these sockets are libc's, so Deno's `--allow-net` scope does
 * not apply to them (`--allow-ffi` is all-powerful anyway); the listen
 * address is the server's option, as with `Deno.listen`.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import {
  EAGAIN,
  EINTR,
  errno,
  type Libc,
  libcAvailable,
  loadLibc,
  SOL_SOCKET,
} from "./_libc.ts";
import {
  AF_INET6,
  decodeSockaddr,
  encodeSockaddr,
  SOCKADDR_MAX,
} from "./_sockaddr.ts";
import { type PollTarget, TcpPoller } from "./_tcp_poller.ts";
import {
  closedError,
  FfiTcpConn,
  osError,
  park,
  READABLE,
  type Wake,
} from "./tcp_ffi_conn.ts";
import { FfiTcpSocket } from "./tcp_ffi_socket.ts";

const SOCK_STREAM_NB = 1 | 0o4000 | 0o2000000;
const ACCEPT_FLAGS = 0o4000 | 0o2000000;
const SO_REUSEADDR = 2;
const SO_REUSEPORT = 15;

/** Where and how {@linkcode FfiTcpListener.listen} binds. */
export interface FfiTcpListenOptions {
  /** Numeric IPv4/IPv6 address or `localhost`; default `0.0.0.0`. */
  hostname?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** `listen()` backlog; default 511. */
  tcpBacklog?: number;
  /** `SO_REUSEPORT` (share the port with other processes). */
  reusePort?: boolean;
}

/**
 * A listening TCP socket of the FFI backend (`socket`, `SO_REUSEADDR`,
 * `bind`, `listen`; `accept4` non-blocking) that satisfies
 * `Deno.TcpListener`. Needs Linux and `--allow-ffi` (see
 * {@linkcode tcpFfiAvailable}).
 *
 * @example
 * ```ts
 * import { FfiTcpListener, tcpFfiAvailable } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * if (tcpFfiAvailable()) {
 *   const listener = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
 *   const client = await Deno.connect({ port: listener.addr.port });
 *   const conn = await listener.accept();
 *   await client.write(new Uint8Array([1, 2, 3]));
 *   const buf = new Uint8Array(8);
 *   assert.equal(await conn.read(buf), 3);
 *   client.close();
 *   assert.equal(await conn.read(buf), null);
 *   conn.close();
 *   listener.close();
 *   await listener.idle();
 * }
 * ```
 */
export class FfiTcpListener implements Deno.TcpListener, PollTarget {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #poller: TcpPoller;
  readonly #token: number;
  readonly #addr: Deno.NetAddr;
  readonly #sa = new Uint8Array(SOCKADDR_MAX);
  readonly #len = new Uint8Array(4);
  readonly #lenView = new DataView(this.#len.buffer);
  #closed = false;
  #wake: Wake | undefined;

  private constructor(
    libc: Libc,
    fd: number,
    addr: Deno.NetAddr,
  ) {
    this.#libc = libc;
    this.#fd = fd;
    this.#addr = addr;
    this.#poller = TcpPoller.open();
    try {
      this.#token = this.#poller.add(fd, this);
    } catch (error) {
      this.#poller.release();
      throw error;
    }
  }

  /**
   * Bind and listen. Throws `StreamError` `Unsupported` without Linux/FFI,
   * `InvalidInput` for a hostname that is not a numeric address, and the
   * `Deno.errors` class of the errno otherwise (`AddrInUse`, ...).
   *
   * @param options address, port, backlog
   * @returns the listener
   */
  static listen(options: FfiTcpListenOptions): FfiTcpListener {
    if (!tcpFfiAvailable()) {
      throw new StreamError(
        "Unsupported",
        "Cannot listen with the ffi TCP backend: needs Linux x86_64/aarch64 and --allow-ffi",
      );
    }
    const hostname = options.hostname ?? "0.0.0.0";
    const sa = encodeSockaddr(hostname, options.port);
    if (sa === null) {
      throw new StreamError(
        "InvalidInput",
        `Cannot listen on ${hostname} with the ffi TCP backend: not a numeric address`,
      );
    }
    const libc = loadLibc();
    const fd = libc.socket(sa.family, SOCK_STREAM_NB, 0);
    if (fd < 0) throw osError(errno(), "open a TCP socket");
    const fail = (action: string): never => {
      const code = errno();
      libc.close(fd);
      throw osError(code, action);
    };
    const one = new Uint8Array([1, 0, 0, 0]);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) < 0) {
      fail("set SO_REUSEADDR");
    }
    if (
      options.reusePort &&
      libc.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4) < 0
    ) {
      fail("set SO_REUSEPORT");
    }
    if (libc.bind(fd, sa.bytes, sa.bytes.length) < 0) {
      fail(`bind ${hostname}:${options.port}`);
    }
    if (libc.listen(fd, options.tcpBacklog ?? 511) < 0) fail("listen");
    const bound = new Uint8Array(SOCKADDR_MAX);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, SOCKADDR_MAX, true);
    if (libc.getsockname(fd, bound, len) < 0) fail("read the bound address");
    const addr = decodeSockaddr(bound);
    try {
      return new FfiTcpListener(libc, fd, {
        ...addr,
        hostname: sa.family === AF_INET6 ? addr.hostname : hostname,
      });
    } catch (error) {
      libc.close(fd);
      throw error;
    }
  }

  /** Sockets open in this listener's poller: itself (until closed) and its connections. */
  get openSockets(): number {
    return this.#poller.size;
  }

  /** Resolves once this listener's poller has no socket and its wait has stopped. */
  idle(): Promise<void> {
    return this.#poller.idle();
  }

  /** The bound address (the kernel's port when 0 was asked). */
  get addr(): Deno.NetAddr {
    return this.#addr;
  }

  /** @internal Readiness from the poller. */
  _ready(events: number): void {
    if ((events & READABLE) !== 0 && this.#wake) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake(true);
    }
  }

  /** The next connection; rejects `BadResource` once closed. */
  accept(): Promise<FfiTcpConn> {
    return this.#accept((fd, remote) =>
      new FfiTcpConn(this.#libc, fd, remote, this.#poller)
    );
  }

  /**
   * The next connection as an {@linkcode FfiTcpSocket}: never registered
   * in this listener's epoll (this listener waits for the accept only), read
   * and written synchronously on its owner's schedule. Rejects
   * `BadResource` once closed.
   */
  acceptUnwatched(): Promise<FfiTcpSocket> {
    return this.#accept((fd, remote) =>
      new FfiTcpSocket(this.#libc, fd, remote)
    );
  }

  async #accept<T>(wrap: (fd: number, remote: Deno.NetAddr) => T): Promise<T> {
    for (;;) {
      if (this.#closed) throw closedError();
      this.#lenView.setUint32(0, SOCKADDR_MAX, true);
      const fd = this.#libc.accept4(
        this.#fd,
        this.#sa,
        this.#len,
        ACCEPT_FLAGS,
      );
      if (fd >= 0) {
        try {
          return wrap(fd, decodeSockaddr(this.#sa));
        } catch (error) {
          this.#libc.close(fd);
          throw error;
        }
      }
      const code = errno();
      // EINTR, ECONNABORTED, EPROTO: the next one.
      if (code === EINTR || code === 103 || code === 71) continue;
      if (code !== EAGAIN) throw osError(code, "accept a TCP connection");
      const open = await park(this.#wake, (w) => (this.#wake = w));
      if (!open) throw closedError();
    }
  }

  /** Stop listening; a pending `accept()` rejects `BadResource`. */
  close(): void {
    if (this.#closed) throw closedError();
    this.#closed = true;
    this.#poller.remove(this.#token, this.#fd);
    this.#poller.release();
    this.#libc.close(this.#fd);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.(false);
  }

  /** No-op (see {@linkcode FfiTcpConn}). */
  ref(): void {}

  /** No-op (see {@linkcode FfiTcpConn}). */
  unref(): void {}

  /** Accept until closed. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<FfiTcpConn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return;
        throw error;
      }
    }
  }

  /** Close unless closed. */
  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}

/**
 * True when the FFI TCP backend can run here (Linux x86_64/aarch64 with
 * `--allow-ffi`). Never prompts.
 *
 * @returns whether `FfiTcpListener.listen` can work
 *
 * @example
 * ```ts
 * import { tcpFfiAvailable } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof tcpFfiAvailable(), "boolean");
 * ```
 */
export function tcpFfiAvailable(): boolean {
  return libcAvailable();
}

/** Which TCP implementation a server listens with. */
export type TcpBackend = "deno" | "ffi";

/**
 * The backend `auto` stands for: libc over FFI where it runs
 * ({@linkcode tcpFfiAvailable}), else Deno's; `deno` and `ffi` as they are.
 *
 * @param backend the backend asked for
 * @returns the backend to listen with
 *
 * @example
 * ```ts
 * import { resolveTcpBackend } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveTcpBackend("deno"), "deno");
 * assert.ok(["deno", "ffi"].includes(resolveTcpBackend("auto")));
 * ```
 */
export function resolveTcpBackend(backend: TcpBackend | "auto"): TcpBackend {
  if (backend !== "auto") return backend;
  return tcpFfiAvailable() ? "ffi" : "deno";
}

/**
 * Listen on plain TCP with the chosen backend: `Deno.listen` (default) or
 * {@linkcode FfiTcpListener}.
 *
 * @param options address, port, backlog, reusePort and the backend
 * @returns a `Deno.TcpListener`
 *
 * @example
 * ```ts
 * import { listenTcp } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = listenTcp({ hostname: "127.0.0.1", port: 0, backend: "deno" });
 * assert.ok(listener.addr.port > 0);
 * listener.close();
 * ```
 */
export function listenTcp(
  options: FfiTcpListenOptions & { backend?: TcpBackend | undefined },
): Deno.TcpListener {
  const { backend, ...listen } = options;
  if (backend === "ffi") return FfiTcpListener.listen(listen);
  return Deno.listen({
    hostname: listen.hostname ?? "0.0.0.0",
    port: listen.port,
    ...(listen.tcpBacklog !== undefined
      ? { tcpBacklog: listen.tcpBacklog }
      : {}),
    ...(listen.reusePort ? { reusePort: true } : {}),
  });
}
