/**
 * libc over Deno FFI, loaded once per process for every socket backend of
 * this folder (the batched UDP socket and the TCP backend): the symbol
 * table, `errno`, pointer helpers and the availability check (Linux
 * x86_64/aarch64, `--allow-ffi`). No sockets are opened here.
 *
 * Synchronous calls run on the main thread, so `errno()` reads the main
 * thread's `errno`; the waiting calls (`poll`, `epoll_wait`) are
 * `nonblocking: true` (run off the main thread) and never read `errno`.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: {
    parameters: ["i32", "buffer", "buffer", "i32"],
    result: "i32",
  },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  // ssize_t results read as i32: a single call moves < 2 GiB.
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  poll: {
    parameters: ["pointer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: {
    parameters: ["i32", "pointer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // The same call on the main thread, with timeout 0: collect what is ready.
  epoll_poll: {
    name: "epoll_wait",
    parameters: ["i32", "pointer", "i32", "i32"],
    result: "i32",
  },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** The loaded libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | undefined;
let errnoView: Deno.UnsafePointerView | undefined;

/**
 * True on Linux x86_64/aarch64 when FFI is granted (`--allow-ffi`) and
 * libc loads. Never prompts.
 */
export function libcAvailable(): boolean {
  if (Deno.build.os !== "linux") return false;
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") {
    return false;
  }
  if (typeof Deno.dlopen !== "function") return false;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return false;
    }
    loadLibc();
    return true;
  } catch {
    return false;
  }
}

/** libc, loaded once per process. */
export function loadLibc(): Libc {
  if (!libc) {
    const lib = Deno.dlopen("libc.so.6", SYMBOLS);
    libc = lib.symbols;
    // errno of the main thread, where every synchronous FFI call runs.
    const at = libc.__errno_location();
    if (!at) throw new Error("no errno location");
    errnoView = new Deno.UnsafePointerView(at);
  }
  return libc;
}

/** `EFD_NONBLOCK | EFD_CLOEXEC`. */
export const EFD_FLAGS = 0o4000 | 0o2000000;
/** `EPOLL_CLOEXEC`. */
export const EPOLL_CLOEXEC = 0o2000000;
/** `struct epoll_event` size: packed (12 B) on x86_64, 16 B on aarch64. */
export const EPOLL_EVENT = Deno.build.arch === "x86_64" ? 12 : 16;
/** Offset of `epoll_event.data` (u64). */
export const EPOLL_DATA = Deno.build.arch === "x86_64" ? 4 : 8;
/** `SOL_SOCKET`. */
export const SOL_SOCKET = 1;
/** `MSG_DONTWAIT`. */
export const MSG_DONTWAIT = 0x40;
/** `EAGAIN` / `EWOULDBLOCK`. */
export const EAGAIN = 11;
/** `EINTR`. */
export const EINTR = 4;

/**
 * An epoll instance and the non-blocking eventfd that wakes its waiter
 * (both close-on-exec); throws `StreamError` `Unavailable` when the kernel
 * refuses either (nothing left open).
 */
export function openEpoll(libc: Libc): { epfd: number; wake: number } {
  const epfd = libc.epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    throw new StreamError(
      "Unavailable",
      `Cannot create an epoll instance: errno ${errno()}`,
    );
  }
  const wake = libc.eventfd(0, EFD_FLAGS);
  if (wake < 0) {
    const code = errno();
    libc.close(epfd);
    throw new StreamError(
      "Unavailable",
      `Cannot open an eventfd: errno ${code}`,
    );
  }
  return { epfd, wake };
}

/** `errno` after the last failed synchronous call. */
export function errno(): number {
  return errnoView?.getInt32() ?? 0;
}
