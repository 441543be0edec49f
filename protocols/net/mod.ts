/**
 * The network layer shared by protocol servers (outside the kernel, which
 * has no sockets): the accept loop with admission control, full writes,
 * quiet closes, one `isDisconnect` policy, a batched UDP socket
 * (`UdpBatchSocket`: `sendmmsg`/`recvmmsg` through FFI), a TCP backend over
 * libc (`FfiTcpListener`, `listenTcp`: epoll through FFI; `FfiTcpSocket`:
 * a connection off any epoll, read and written synchronously on its
 * owner's tick), and the admission policies
 * (`ConnectionGate`, `RateLimiter`, `clientKeyOf`, socket-free, kept in the
 * kernel and exported from `@arcly/stream` too).
 *
 * Protocol folders import this module (or its un-prefixed files), never
 * each other.
 *
 * @module
 */
export { acceptLoop, type AcceptLoopOptions } from "./accept_loop.ts";
export {
  closeQuietly,
  isDisconnect,
  noDelay,
  tryWriteOf,
  writeAll,
} from "./socket_io.ts";
export {
  udpBatchAvailable,
  UdpBatchSocket,
  type UdpBatchSocketOptions,
  type UdpBatchStats,
} from "./udp_batch.ts";
export { UdpBatchWaiter } from "./udp_batch_waiter.ts";
export { FfiTcpConn } from "./tcp_ffi_conn.ts";
export { FfiTcpSocket, TRY_AGAIN } from "./tcp_ffi_socket.ts";
export { openFilesLimitFfi } from "./open_files.ts";
export {
  FfiTcpListener,
  type FfiTcpListenOptions,
  listenTcp,
  resolveTcpBackend,
  type TcpBackend,
  tcpFfiAvailable,
} from "./tcp_ffi.ts";
export {
  ConnectionGate,
  type ConnectionGateOptions,
  type GateDecision,
  type GateRefusal,
} from "../../src/connection_gate.ts";
export {
  clientKeyOf,
  RateLimiter,
  type RateLimiterOptions,
} from "../../src/rate_limiter.ts";
