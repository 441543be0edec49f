/**
 * {@linkcode UdpBatchWaiter}: one `epoll_wait` (a non-blocking FFI call,
 * off the main thread) for many `UdpBatchSocket`s, instead of one
 * waiting `poll` per socket — for processes with hundreds of sockets (the
 * WebRTC load client: one socket per peer).
 *
 * Data path: no datagram passes here; each wake-up hands the ready sockets
 * their `epoll` events (readable: they drain with `recvmmsg`; writable:
 * they resume a send that met `EAGAIN`). Memory: 64 event slots, allocated
 * once; one map entry per registered socket.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import { openEpoll } from "./_libc.ts";
import {
  EPOLL_DATA,
  EPOLL_EVENT,
  errno,
  type Libc,
  loadLibc,
  POLLIN,
  POLLOUT,
  udpBatchAvailable,
} from "./udp_batch_ffi.ts";

const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const SLOTS = 64;

/**
 * A shared waiter for `UdpBatchSocket`s (pass it as the `waiter`
 * option). Close the sockets, then the waiter.
 *
 * @example
 * ```ts ignore
 * import { UdpBatchSocket, UdpBatchWaiter, udpBatchAvailable } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * if (udpBatchAvailable()) {
 *   const waiter = UdpBatchWaiter.create();
 *   const a = UdpBatchSocket.bind({ hostname: "127.0.0.1", waiter });
 *   const b = UdpBatchSocket.bind({ hostname: "127.0.0.1", waiter });
 *   const got = new Promise<Uint8Array>((r) => (b.onMessage = (d) => r(d)));
 *   a.send(new Uint8Array([7]), "127.0.0.1", b.port);
 *   assert.deepEqual(await got, new Uint8Array([7]));
 *   await a.close();
 *   await b.close();
 *   await waiter.close();
 * }
 * ```
 */
export class UdpBatchWaiter {
  readonly #libc: Libc;
  readonly #epfd: number;
  readonly #wake: number;
  readonly #events: Uint8Array;
  readonly #dv: DataView;
  readonly #eventsPtr: Deno.PointerValue;
  readonly #ctl = new Uint8Array(16);
  readonly #ctlView = new DataView(this.#ctl.buffer);
  readonly #handlers = new Map<number, (events: number) => void>();
  #next = 1;
  #closed = false;
  #loop: Promise<void> | undefined;

  private constructor(libc: Libc, epfd: number, wake: number) {
    this.#libc = libc;
    this.#epfd = epfd;
    this.#wake = wake;
    this.#events = new Uint8Array(SLOTS * EPOLL_EVENT);
    this.#dv = new DataView(this.#events.buffer);
    this.#eventsPtr = Deno.UnsafePointer.of(
      this.#events as Uint8Array<ArrayBuffer>,
    );
    this.#control(EPOLL_CTL_ADD, wake, 0, POLLIN);
  }

  /**
   * Open the epoll instance. Throws `StreamError` `Unsupported` without FFI
   * (see {@linkcode udpBatchAvailable}), `Unavailable` when the kernel
   * refuses.
   */
  static create(): UdpBatchWaiter {
    if (!udpBatchAvailable()) {
      throw new StreamError(
        "Unsupported",
        "Cannot create a UDP waiter: needs Linux x86_64/aarch64 and --allow-ffi",
      );
    }
    const libc = loadLibc();
    const { epfd, wake } = openEpoll(libc);
    return new UdpBatchWaiter(libc, epfd, wake);
  }

  /** Sockets registered. */
  get size(): number {
    return this.#handlers.size;
  }

  #control(op: number, fd: number, token: number, events: number): void {
    const v = this.#ctlView;
    v.setUint32(0, events, true);
    v.setUint32(EPOLL_DATA, token, true);
    v.setUint32(EPOLL_DATA + 4, 0, true);
    if (this.#libc.epoll_ctl(this.#epfd, op, fd, this.#ctl) < 0) {
      throw new StreamError(
        "Unavailable",
        `Cannot register a UDP socket for waiting: errno ${errno()}`,
      );
    }
  }

  /** @internal Register `fd` (readable); returns its token. */
  _add(fd: number, handler: (events: number) => void): number {
    if (this.#closed) {
      throw new StreamError(
        "Closed",
        "Cannot wait for a socket: waiter closed",
      );
    }
    const token = this.#next++;
    this.#control(EPOLL_CTL_ADD, fd, token, POLLIN);
    this.#handlers.set(token, handler);
    this.#loop ??= this.#run();
    return token;
  }

  /** @internal Also wait for writability (`write`), or stop. */
  _watch(token: number, fd: number, write: boolean): void {
    if (this.#closed || !this.#handlers.has(token)) return;
    this.#control(EPOLL_CTL_MOD, fd, token, write ? POLLIN | POLLOUT : POLLIN);
  }

  /** @internal Unregister (before the socket closes `fd`). */
  _remove(token: number, fd: number): void {
    if (!this.#handlers.delete(token) || this.#closed) return;
    try {
      this.#control(EPOLL_CTL_DEL, fd, token, 0);
    } catch {
      // already gone
    }
  }

  async #run(): Promise<void> {
    const scratch = new Uint8Array(8);
    await Promise.resolve();
    while (!this.#closed) {
      const n = await this.#libc.epoll_wait(
        this.#epfd,
        this.#eventsPtr,
        SLOTS,
        5_000,
      );
      if (this.#closed) break;
      for (let i = 0; i < n; i++) {
        const at = i * EPOLL_EVENT;
        const events = this.#dv.getUint32(at, true);
        const token = this.#dv.getUint32(at + EPOLL_DATA, true);
        if (token === 0) {
          this.#libc.read(this.#wake, scratch, 8n);
          continue;
        }
        try {
          this.#handlers.get(token)?.(events);
        } catch {
          // a socket's handler never stops the waiter
        }
      }
    }
  }

  /** Stop waiting (woken at once) and release the epoll instance. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const one = new Uint8Array(8);
    one[0] = 1;
    this.#libc.write(this.#wake, one, 8n);
    await this.#loop;
    this.#handlers.clear();
    this.#libc.close(this.#epfd);
    this.#libc.close(this.#wake);
  }
}
