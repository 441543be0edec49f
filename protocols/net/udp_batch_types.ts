/**
 * The option and counter types of `UdpBatchSocket`
 * (protocols/net/udp_batch.ts).
 *
 * @module
 */
import type { UdpBatchWaiter } from "./udp_batch_waiter.ts";

/** Options of `UdpBatchSocket.bind`.
 *
 * @example
 * ```ts ignore
 * import type { UdpBatchSocketOptions } from "./udp_batch.ts";
 * const options: UdpBatchSocketOptions = { hostname: "127.0.0.1", port: 0 };
 * ```
 */
export interface UdpBatchSocketOptions {
  /** IPv4 address to bind (default "0.0.0.0"; "localhost" = 127.0.0.1). */
  hostname?: string;
  /** Port to bind (default 0: a free one). */
  port?: number;
  /** Datagrams per `sendmmsg` (default 128, at most 1,024). */
  maxBatch?: number;
  /** Datagrams waiting to be sent, at most (default 4,096). */
  maxQueue?: number;
  /** Largest datagram received whole (default 4,096 B; longer: dropped). */
  maxDatagram?: number;
  /** `SO_SNDBUF` in bytes (default: the system's). */
  sendBufferSize?: number;
  /** `SO_RCVBUF` in bytes (default: the system's). */
  receiveBufferSize?: number;
  /**
   * Hand `onMessage` a view into the receive slot instead of a copy: valid
   * only during the call (default false).
   */
  borrow?: boolean;
  /**
   * Wait for this socket in a shared {@linkcode UdpBatchWaiter} (one
   * `epoll_wait` for many sockets) instead of its own `poll`.
   */
  waiter?: UdpBatchWaiter;
}

/** Counters of a `UdpBatchSocket`.
 *
 * @example
 * ```ts ignore
 * import type { UdpBatchStats } from "./udp_batch.ts";
 * const s: UdpBatchStats = { sent: 0, sendCalls: 0, sendDropped: 0, sendErrors: 0, blocked: 0, received: 0, receiveCalls: 0, truncated: 0 };
 * ```
 */
export interface UdpBatchStats {
  /** Datagrams the kernel took. */
  sent: number;
  /** `sendmmsg` calls. */
  sendCalls: number;
  /** Datagrams dropped: queue full, socket closed, or not an IPv4 address. */
  sendDropped: number;
  /** Datagrams the kernel refused (dropped; e.g. too long). */
  sendErrors: number;
  /** Times the socket buffer was full (`EAGAIN`) and sending waited. */
  blocked: number;
  /** Datagrams received. */
  received: number;
  /** `recvmmsg` calls that returned datagrams. */
  receiveCalls: number;
  /** Received datagrams longer than `maxDatagram` (dropped). */
  truncated: number;
}
