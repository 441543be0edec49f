/**
 * Options and counters of the SRT listener (`SrtHandler`).
 *
 * @module
 */
/**
 * Options for {@linkcode SrtHandler}.
 *
 * @example
 * ```ts
 * import { SrtHandler, type SrtHandlerOptions } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const options: SrtHandlerOptions = { hostname: "127.0.0.1", port: 0, latencyMs: 200 };
 * assert.equal(new SrtHandler(options).name, "srt");
 * ```
 */
export interface SrtHandlerOptions {
  /** Interface to bind; default "0.0.0.0". */
  hostname?: string;
  /** UDP port; default 8890; 0 picks a free port. */
  port?: number;
  /** Passphrase (10–79 characters): when set, only encrypted callers with it are accepted. */
  passphrase?: string;
  /** Key length advertised to callers: 16, 24 or 32 bytes; default 16. */
  pbKeyLen?: 16 | 24 | 32;
  /** Our TSBPD latency, ms (the larger of both sides applies); default 120. */
  latencyMs?: number;
  /** Established plus pending connections; default 1,000. */
  maxConnections?: number;
  /** Close a connection after this long without a packet; default 5,000 ms. */
  peerIdleTimeoutMs?: number;
  /**
   * Readers' egress tick, ms (0 to 1,000): the stream's shared batch period
   * (fewer, larger shared batches; at most this much added latency);
   * default 20, so a batch is a short burst of packets.
   */
  egressTickMs?: number;
  /** Receive buffer per connection, packets; default 8,192 (≈ 10.8 MB at most). */
  receiveBufferPackets?: number;
  /** Send buffer per reader, packets; default 8,192. */
  sendBufferPackets?: number;
}

/**
 * Counters of the listener (for metrics).
 *
 * @example
 * ```ts
 * import { SrtHandler } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(new SrtHandler().stats.connections, 0);
 * ```
 */
export interface SrtHandlerStats {
  /** Open connections. */
  connections: number;
  /** Connections accepted since start. */
  accepted: number;
  /** Conclusions refused (reject codes sent). */
  rejected: number;
  /** Handshakes pending authorization. */
  pending: number;
  /** Datagrams that did not parse. */
  garbage: number;
  /** Conclusions with an invalid cookie (spoofed or stale). */
  badCookies: number;
  /** Datagrams for no known connection. */
  stray: number;
  /** Data packets received. */
  packetsReceived: number;
  /** Packets lost on the way in (detected). */
  packetsLost: number;
  /** Packets skipped as too late (in) or dropped unsent/unacked (out). */
  packetsDropped: number;
  /** Packets re-sent to readers. */
  packetsRetransmitted: number;
  /** Data packets sent. */
  packetsSent: number;
}
