/**
 * The readiness registry of the FFI TCP backend: one edge-triggered epoll
 * instance per listener, shared by the connections it accepts, waited off
 * the main thread (`epoll_wait` as a non-blocking FFI call), an eventfd to
 * wake it when the last socket leaves. No state outside the instances: the
 * listener opens its poller and releases it (both fds) once it is closed
 * and its last connection is gone.
 *
 * Data path: no byte passes here. A wake-up hands each ready socket its
 * event mask (`_ready`); the socket resolves the one read or write (or
 * accept) that met `EAGAIN`, which then retries the syscall itself.
 * Memory: 256 event slots allocated once, one map entry per open socket;
 * the wait loop runs only while a socket is registered, so an idle process
 * (or a finished test) has no pending operation.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import { setImmediate } from "node:timers";
import {
  EPOLL_DATA,
  EPOLL_EVENT,
  errno,
  type Libc,
  loadLibc,
  openEpoll,
} from "./_libc.ts";

const EPOLLIN = 0x1;
const EPOLLOUT = 0x4;
const EPOLLRDHUP = 0x2000;
const EPOLLET = 0x80000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const SLOTS = 256;

/** What the poller wakes: a socket of the backend. */
export interface PollTarget {
  /** The epoll event mask of a wake-up. */
  _ready(events: number): void;
}

/** One listener's epoll registry (see the module doc). */
export class TcpPoller {
  readonly #libc: Libc;
  readonly #epfd: number;
  readonly #wake: number;
  readonly #events = new Uint8Array(SLOTS * EPOLL_EVENT);
  readonly #view = new DataView(this.#events.buffer);
  readonly #eventsPtr: Deno.PointerValue;
  readonly #ctl = new Uint8Array(16);
  readonly #ctlView = new DataView(this.#ctl.buffer);
  readonly #targets = new Map<number, PollTarget>();
  #next = 1;
  #loop: Promise<void> | undefined;
  #waking = false;
  #releasing = false;
  #released = false;

  #length = -1;
  #bigLength = 0n;

  /**
   * `BigInt(n)` for a `send` length (libc's `size_t` wants a bigint): the
   * last one is kept, since every viewer of one tick sends a batch of the
   * same length, so a send costs no new BigInt.
   *
   * @param n a byte count
   * @returns `BigInt(n)`
   */
  bigLength(n: number): bigint {
    if (n !== this.#length) {
      this.#length = n;
      this.#bigLength = BigInt(n);
    }
    return this.#bigLength;
  }

  private constructor(libc: Libc, epfd: number, wake: number) {
    this.#libc = libc;
    this.#epfd = epfd;
    this.#wake = wake;
    this.#eventsPtr = Deno.UnsafePointer.of(
      this.#events as Uint8Array<ArrayBuffer>,
    );
    // The wake-up eventfd: token 0, level-triggered.
    this.#control(EPOLL_CTL_ADD, wake, 0, EPOLLIN);
  }

  /** Open a poller (an epoll instance and its wake-up eventfd). */
  static open(): TcpPoller {
    const libc = loadLibc();
    const { epfd, wake } = openEpoll(libc);
    return new TcpPoller(libc, epfd, wake);
  }

  /** Sockets registered now. */
  get size(): number {
    return this.#targets.size;
  }

  /** Resolves once the wait loop has stopped (no socket registered). */
  async idle(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  /**
   * The owner is done adding sockets: the epoll and eventfd are closed once
   * the last registered socket is removed and the wait loop has stopped.
   */
  release(): void {
    this.#releasing = true;
    this.#releaseIfDone();
  }

  #releaseIfDone(): void {
    if (
      !this.#releasing || this.#released || this.#targets.size > 0 ||
      this.#loop !== undefined
    ) return;
    this.#released = true;
    this.#libc.close(this.#epfd);
    this.#libc.close(this.#wake);
  }

  #control(op: number, fd: number, token: number, events: number): boolean {
    const v = this.#ctlView;
    v.setUint32(0, events >>> 0, true);
    v.setUint32(EPOLL_DATA, token, true);
    v.setUint32(EPOLL_DATA + 4, 0, true);
    return this.#libc.epoll_ctl(this.#epfd, op, fd, this.#ctl) === 0;
  }

  /**
   * Watch `fd` for reading, writing and peer close (edge-triggered, for the
   * socket's life); returns its token. Throws `StreamError` `Unavailable`
   * when the kernel refuses.
   */
  add(fd: number, target: PollTarget): number {
    if (this.#released) {
      throw new StreamError(
        "Unavailable",
        "Cannot watch a TCP socket: its listener's poller is released",
      );
    }
    const token = this.#next;
    this.#next = this.#next >= 0xffff_fffe ? 1 : this.#next + 1;
    if (
      !this.#control(
        EPOLL_CTL_ADD,
        fd,
        token,
        EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
      )
    ) {
      throw new StreamError(
        "Unavailable",
        `Cannot watch a TCP socket: errno ${errno()}`,
      );
    }
    this.#targets.set(token, target);
    this.#loop ??= this.#run();
    return token;
  }

  /** Stop watching (call before closing `fd`). */
  remove(token: number, fd: number): void {
    if (!this.#targets.delete(token)) return;
    this.#control(EPOLL_CTL_DEL, fd, token, 0);
    if (this.#targets.size === 0 && this.#loop && !this.#waking) {
      // Let the loop see that nothing is left and stop.
      this.#waking = true;
      const one = new Uint8Array(8);
      one[0] = 1;
      this.#libc.write(this.#wake, one, 8n);
    }
    this.#releaseIfDone();
  }

  #dispatch(n: number, scratch: Uint8Array): void {
    const view = this.#view;
    for (let i = 0; i < n; i++) {
      const at = i * EPOLL_EVENT;
      const token = view.getUint32(at + EPOLL_DATA, true);
      if (token === 0) {
        this.#libc.read(this.#wake, scratch, 8n);
        this.#waking = false;
        continue;
      }
      const target = this.#targets.get(token);
      if (target === undefined) continue;
      try {
        target._ready(view.getUint32(at, true));
      } catch {
        // one socket's handler never stops the loop
      }
    }
  }

  /**
   * Idle: one `epoll_wait` off the main thread (no timeout; the eventfd
   * wakes it). Busy: after a wake, poll on the main thread (timeout 0) once
   * per turn of the event loop (`setImmediate`: after the turn's I/O and
   * timers, no clamp) while events keep coming, so a burst of readiness
   * costs one syscall per turn instead of one thread hand-off per event;
   * the first quiet poll goes back to the off-thread wait, which a peer's
   * next bytes wake at once. (Polling every 1 ms instead cost a joining
   * RTMP player ~1 ms per round trip of its handshake and commands: 6.4–8.3
   * ms to its first keyframe instead of 1.3–1.7; `bench/RESULTS.md`,
   * twelfth session.)
   */
  async #run(): Promise<void> {
    const scratch = new Uint8Array(8);
    await Promise.resolve();
    try {
      while (this.#targets.size > 0) {
        const n = await this.#libc.epoll_wait(
          this.#epfd,
          this.#eventsPtr,
          SLOTS,
          -1,
        );
        this.#dispatch(n, scratch);
        while (this.#targets.size > 0) {
          await new Promise<void>((r) => setImmediate(r));
          const more = this.#libc.epoll_poll(
            this.#epfd,
            this.#eventsPtr,
            SLOTS,
            0,
          );
          if (more <= 0) break;
          this.#dispatch(more, scratch);
        }
      }
    } finally {
      this.#loop = undefined;
      this.#releaseIfDone();
    }
  }
}
