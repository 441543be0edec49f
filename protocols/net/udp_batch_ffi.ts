/**
 * The libc calls under {@linkcode UdpBatchSocket} (Linux x86_64/aarch64,
 * `--allow-ffi`): symbols, the struct layouts of the LP64 Linux ABI
 * (`sockaddr_in` 16 B, `iovec` 16 B, `mmsghdr` 64 B, `pollfd` 8 B) and the
 * availability check. No sockets are opened here.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import {
  EFD_FLAGS,
  errno,
  type Libc,
  libcAvailable,
  SOL_SOCKET,
} from "./_libc.ts";
export {
  EAGAIN,
  EFD_FLAGS,
  EINTR,
  EPOLL_DATA,
  EPOLL_EVENT,
  MSG_DONTWAIT,
  SOL_SOCKET,
} from "./_libc.ts";

/** Linux constants (identical on x86_64 and aarch64). */
export const AF_INET = 2;
/** `SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC`. */
export const SOCK_DGRAM_NB = 2 | 0o4000 | 0o2000000;
/** `SO_SNDBUF`. */
export const SO_SNDBUF = 7;
/** `SO_RCVBUF`. */
export const SO_RCVBUF = 8;
/** `MSG_TRUNC` (in `msg_flags`: the datagram was longer than the buffer). */
export const MSG_TRUNC = 0x20;
/** `ENOBUFS` (the device queue is full: also retried later). */
export const ENOBUFS = 105;
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

/** The loaded libc symbols (shared with the TCP backend: `_libc.ts`). */
export type { Libc } from "./_libc.ts";
export { errno, loadLibc } from "./_libc.ts";

/**
 * True on Linux x86_64/aarch64 when FFI is granted (`--allow-ffi`) and
 * libc loads: the batched socket can be used. Never prompts.
 */
export function udpBatchAvailable(): boolean {
  return libcAvailable();
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

/** Bytes of the send slab (datagrams copied in for one `sendmmsg`). */
export const SLAB = 256 * 1024;

/** Offsets (and the base address) of one socket's preallocated memory. */
export interface BatchLayout {
  memory: Uint8Array;
  base: number;
  sendAt: number;
  sendIovAt: number;
  sendAddrAt: number;
  slabAt: number;
  recvAt: number;
  recvIovAt: number;
  recvAddrAt: number;
  slotsAt: number;
  pollAt: number;
}

/**
 * Allocate one socket's structs in one off-heap buffer: `sendBatch` send
 * `mmsghdr`s (each with its `iovec` and `sockaddr_in`), the send slab,
 * `recvBatch` receive `mmsghdr`s pointing at slots of `slot` bytes, and two
 * `pollfd`s. Every pointer that never changes is written here.
 */
export function layoutBatch(
  sendBatch: number,
  recvBatch: number,
  slot: number,
): BatchLayout {
  const sendAt = 0;
  const sendIovAt = sendAt + sendBatch * MMSG;
  const sendAddrAt = sendIovAt + sendBatch * IOVEC;
  const slabAt = sendAddrAt + sendBatch * SOCKADDR;
  const recvAt = slabAt + SLAB;
  const recvIovAt = recvAt + recvBatch * MMSG;
  const recvAddrAt = recvIovAt + recvBatch * IOVEC;
  const slotsAt = recvAddrAt + recvBatch * SOCKADDR;
  const pollAt = slotsAt + recvBatch * slot;
  const memory = new Uint8Array(pollAt + 16);
  const dv = new DataView(memory.buffer);
  const base = addressOf(memory);
  for (let i = 0; i < sendBatch; i++) {
    const m = sendAt + i * MMSG;
    setPointer(dv, m + MSG_NAME, base + sendAddrAt + i * SOCKADDR);
    dv.setUint32(m + MSG_NAMELEN, SOCKADDR, true);
    setPointer(dv, m + MSG_IOV, base + sendIovAt + i * IOVEC);
    setPointer(dv, m + MSG_IOVLEN, 1);
    dv.setUint16(sendAddrAt + i * SOCKADDR, AF_INET, true);
  }
  for (let i = 0; i < recvBatch; i++) {
    const m = recvAt + i * MMSG;
    setPointer(dv, m + MSG_NAME, base + recvAddrAt + i * SOCKADDR);
    setPointer(dv, m + MSG_IOV, base + recvIovAt + i * IOVEC);
    setPointer(dv, m + MSG_IOVLEN, 1);
    const iov = recvIovAt + i * IOVEC;
    setPointer(dv, iov, base + slotsAt + i * slot);
    setPointer(dv, iov + 8, slot);
  }
  return {
    memory,
    base,
    sendAt,
    sendIovAt,
    sendAddrAt,
    slabAt,
    recvAt,
    recvIovAt,
    recvAddrAt,
    slotsAt,
    pollAt,
  };
}

/**
 * A non-blocking IPv4 UDP socket bound to `ip:port` (buffer sizes set when
 * given) and the eventfd that wakes its waiter. Throws `StreamError`
 * `Unavailable` with the errno when the kernel refuses.
 */
export function openSocket(
  libc: Libc,
  ip: number,
  port: number,
  options: { sendBufferSize?: number; receiveBufferSize?: number },
): { fd: number; wake: number; bound: number } {
  const fd = libc.socket(AF_INET, SOCK_DGRAM_NB, 0);
  if (fd < 0) throw ioError("open a UDP socket", errno());
  const fail = (action: string): never => {
    const code = errno();
    libc.close(fd);
    throw ioError(action, code);
  };
  const int = new Uint8Array(4);
  const setInt = (name: number, value: number | undefined) => {
    if (value === undefined) return;
    new DataView(int.buffer).setInt32(0, value, true);
    if (libc.setsockopt(fd, SOL_SOCKET, name, int, 4) < 0) {
      fail("set a UDP buffer size");
    }
  };
  setInt(SO_SNDBUF, options.sendBufferSize);
  setInt(SO_RCVBUF, options.receiveBufferSize);
  const sa = new Uint8Array(SOCKADDR);
  const dv = new DataView(sa.buffer);
  dv.setUint16(0, AF_INET, true);
  dv.setUint16(2, port, false);
  dv.setUint32(4, ip, false);
  if (libc.bind(fd, sa, SOCKADDR) < 0) fail(`bind UDP port ${port}`);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, SOCKADDR, true);
  if (libc.getsockname(fd, sa, len) < 0) fail("read the bound UDP port");
  const wake = libc.eventfd(0, EFD_FLAGS);
  if (wake < 0) fail("open an eventfd");
  return { fd, wake, bound: dv.getUint16(2, false) };
}

function ioError(action: string, code: number): StreamError {
  return new StreamError("Unavailable", `Cannot ${action}: errno ${code}`);
}
