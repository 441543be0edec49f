/**
 * The libc calls under {@linkcode UdpBatchSocket} (Linux x86_64/aarch64,
 * `--allow-ffi`): symbols, the struct layouts of the LP64 Linux ABI
 * (`sockaddr_in` 16 B, `iovec` 16 B, `mmsghdr` 64 B, `pollfd` 8 B) and the
 * availability check. No sockets are opened here.
 *
 * @module
 */

/** Linux constants (identical on x86_64 and aarch64). */
export const AF_INET = 2;
/** `SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC`. */
export const SOCK_DGRAM_NB = 2 | 0o4000 | 0o2000000;
/** `EFD_NONBLOCK | EFD_CLOEXEC`. */
export const EFD_FLAGS = 0o4000 | 0o2000000;
/** `SOL_SOCKET`. */
export const SOL_SOCKET = 1;
/** `SO_SNDBUF`. */
export const SO_SNDBUF = 7;
/** `SO_RCVBUF`. */
export const SO_RCVBUF = 8;
/** `MSG_DONTWAIT`. */
export const MSG_DONTWAIT = 0x40;
/** `MSG_TRUNC` (in `msg_flags`: the datagram was longer than the buffer). */
export const MSG_TRUNC = 0x20;
/** `EAGAIN` / `EWOULDBLOCK`. */
export const EAGAIN = 11;
/** `ENOBUFS` (the device queue is full: also retried later). */
export const ENOBUFS = 105;
/** `EINTR`. */
export const EINTR = 4;
/** `POLLIN`. */
export const POLLIN = 1;
/** `POLLOUT`. */
export const POLLOUT = 4;

/** `struct mmsghdr` size; fields of its `msghdr` at these offsets. */
export const MMSG = 64;
/** `msg_name` (pointer). */
export const MSG_NAME = 0;
/** `msg_namelen` (u32). */
export const MSG_NAMELEN = 8;
/** `msg_iov` (pointer). */
export const MSG_IOV = 16;
/** `msg_iovlen` (size_t). */
export const MSG_IOVLEN = 24;
/** `msg_flags` (i32). */
export const MSG_FLAGS = 48;
/** `msg_len` (u32, after the msghdr). */
export const MSG_LEN = 56;
/** `struct iovec` size (`iov_base` pointer, `iov_len` size_t). */
export const IOVEC = 16;
/** `struct sockaddr_in` size. */
export const SOCKADDR = 16;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
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
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** The loaded libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | undefined;
let errnoView: Deno.UnsafePointerView | undefined;

/**
 * True on Linux x86_64/aarch64 when FFI is granted (`--allow-ffi`) and
 * libc loads: the batched socket can be used. Never prompts.
 */
export function udpBatchAvailable(): boolean {
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

/** `errno` after the last failed synchronous call. */
export function errno(): number {
  return errnoView?.getInt32() ?? 0;
}

/** The numeric address of `view`'s first byte (off-heap buffers only). */
export function addressOf(view: Uint8Array): number {
  const pointer = Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>);
  return Number(Deno.UnsafePointer.value(pointer));
}

/** Write a 64-bit pointer `value` at `offset` (little-endian, < 2^53). */
export function setPointer(dv: DataView, offset: number, value: number): void {
  dv.setUint32(offset, value % 0x1_0000_0000, true);
  dv.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}

/** Dotted IPv4 text to its 32-bit number, or -1. */
export function parseIpv4(host: string): number {
  if (host === "localhost") return 0x7f000001;
  const parts = host.split(".");
  if (parts.length !== 4) return -1;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return -1;
    const n = Number(part);
    if (n > 255) return -1;
    value = value * 256 + n;
  }
  return value;
}

/** A 32-bit IPv4 number as dotted text. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${
    value & 255
  }`;
}
