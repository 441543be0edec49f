/**
 * The settings and counters of an {@linkcode SrtConnection}.
 *
 * @module
 */
import type { SrtCrypto } from "./key_material.ts";

/**
 * Settings of an established connection (agreed by the handshake).
 *
 * @example
 * ```ts
 * import type { SrtConnectionConfig } from "@arcly/stream/srt";
 * const config: SrtConnectionConfig = { localSocketId: 1, peerSocketId: 2, initialSeq: 0,
 *   receiveLatencyMs: 120, sendLatencyMs: 120, startMs: 0, send: () => {} };
 * ```
 */
export interface SrtConnectionConfig {
  /** Our socket id. */
  localSocketId: number;
  /** The peer's socket id (destination of everything we send). */
  peerSocketId: number;
  /** Initial sequence number of both directions. */
  initialSeq: number;
  /** TSBPD latency of what we receive, ms. */
  receiveLatencyMs: number;
  /** TSBPD latency of what we send (the peer's), ms. */
  sendLatencyMs: number;
  /** Connection start on the `now` clock (timestamps count from it). */
  startMs: number;
  /** Sends one datagram to the peer. */
  send: (datagram: Uint8Array) => void;
  /** Receives payloads in order. */
  deliver?: (payload: Uint8Array) => void;
  /** Called once when the connection ends. */
  onClose?: (reason: string) => void;
  /** Keys (both directions), when encrypted. */
  crypto?: SrtCrypto;
  /** Close after this long without a packet from the peer; default 5,000 ms. */
  peerIdleTimeoutMs?: number;
  /** Receive ring, packets; default 8,192. */
  receiveCapacity?: number;
  /** Send buffer, packets; default 8,192. */
  sendCapacity?: number;
  /** Peer understands the R flag; default true. */
  rexmitFlag?: boolean;
  /**
   * Pacing: at most this many data packets per 10 ms (default 32, about
   * 34 Mbit/s of 1,316-byte payloads); more wait in a bounded queue.
   */
  burstPackets?: number;
}

/**
 * Counters of one connection.
 *
 * @example
 * ```ts
 * import type { SrtConnectionStats } from "@arcly/stream/srt";
 * const lost = (s: SrtConnectionStats): number => s.receivedLost;
 * ```
 */
export interface SrtConnectionStats {
  /** Data packets received. */
  receivedPackets: number;
  /** Payload bytes delivered. */
  receivedBytes: number;
  /** Packets detected lost. */
  receivedLost: number;
  /** Packets skipped as too late. */
  receivedDropped: number;
  /** Retransmitted packets received. */
  receivedRetransmitted: number;
  /** Packets that could not be decrypted. */
  undecrypted: number;
  /** Data packets sent. */
  sentPackets: number;
  /** Payload bytes sent. */
  sentBytes: number;
  /** Packets re-sent. */
  sentRetransmitted: number;
  /** Packets dropped by the sender. */
  sentDropped: number;
  /** NAK (loss report) packets sent to the peer. */
  naksSent: number;
  /** NAK (loss report) packets received from the peer. */
  naksReceived: number;
  /** Smoothed round-trip time, ms. */
  rttMs: number;
}
