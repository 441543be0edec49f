/**
 * {@linkcode SrtConnection}: one established SRT connection, socket-free.
 * The host feeds it parsed packets and a periodic `tick(now)` (every ~10 ms);
 * it answers through the `send` callback: ACKs every 10 ms with RTT and
 * buffer fields, ACKACKs, immediate and periodic NAKs, retransmissions,
 * keepalives, KM refresh answers, shutdown; received payloads leave through
 * `deliver`, in order (draft-sharabayko-srt §4).
 *
 * Data path: a received payload is a view into its datagram (decrypted into
 * a new buffer when encrypted) held by the bounded receive ring until its
 * turn; a sent payload is copied once into its datagram, kept by the bounded
 * send buffer until acknowledged or too late.
 *
 * @module
 */
import { decodeLoss, SrtReceiver } from "./_receiver.ts";
import { SrtSender } from "./_sender.ts";
import { type SrtCrypto, SrtKmState } from "./key_material.ts";
import { SrtControlType, type SrtPacket, writeSrtControl } from "./packet.ts";
import type {
  SrtConnectionConfig,
  SrtConnectionStats,
} from "./connection_types.ts";

export type {
  SrtConnectionConfig,
  SrtConnectionStats,
} from "./connection_types.ts";

const ACK_INTERVAL_MS = 10;
const KEEPALIVE_MS = 1000;
const MAX_NAK_WORDS = 300;
const ACK_HISTORY = 64;
const PACING_WINDOW_MS = 10;
const MAX_CATCHUP_WINDOWS = 3;

/**
 * One established connection.
 *
 * @example Two connections joined back to back
 * ```ts
 * import { parseSrtPacket, SrtConnection } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const got: Uint8Array[] = [];
 * let b: SrtConnection | undefined;
 * const base = { initialSeq: 1, receiveLatencyMs: 120, sendLatencyMs: 120, startMs: 0 };
 * const a = new SrtConnection({ ...base, localSocketId: 1, peerSocketId: 2,
 *   send: (d) => b?.handle(parseSrtPacket(d), 1) }, 0);
 * b = new SrtConnection({ ...base, localSocketId: 2, peerSocketId: 1, send: () => {},
 *   deliver: (p) => got.push(p) }, 0);
 * a.sendPayload(new Uint8Array(188), 1);
 * assert.equal(got.length, 1);
 * ```
 */
export class SrtConnection {
  #c: SrtConnectionConfig;
  #receiver: SrtReceiver;
  #sender: SrtSender;
  #crypto: SrtCrypto | undefined;
  #closed = false;
  #lastReceived: number;
  #lastSent: number;
  #lastDataSent: number;
  #lastAckAt = -Infinity;
  #lastAckSeq = -1;
  #ackNumber = 1;
  #ackTimes = new Map<number, number>();
  #lastNakAt = -Infinity;
  #rttUs = 100_000;
  #rttVarUs = 50_000;
  #undecrypted = 0;
  #naksSent = 0;
  #naksReceived = 0;
  // the pacer's queue: parallel arrays (no object per payload), from head
  #pending: Uint8Array[] = [];
  #pendingTs: number[] = [];
  #pendingAt: number[] = [];
  #pendingHead = 0;
  #dropAgeMs: number;
  #pendingCap: number;
  #pacedDrops = 0;
  #burst: number;
  #windowStart = -Infinity;
  #windowSent = 0;

  /**
   * Start a connection in the established state.
   *
   * @param config the agreed settings
   * @param now the current time on the connection clock, ms
   */
  constructor(config: SrtConnectionConfig, now: number) {
    this.#c = config;
    this.#crypto = config.crypto;
    this.#lastReceived = now;
    this.#lastSent = now;
    this.#lastDataSent = now;
    this.#pendingCap = config.sendCapacity ?? 8192;
    this.#burst = config.burstPackets ?? 32;
    this.#dropAgeMs = Math.max(1000, config.sendLatencyMs * 1.25 + 20);
    this.#receiver = new SrtReceiver(
      config.initialSeq,
      config.receiveLatencyMs,
      config.receiveCapacity ?? 8192,
      (payload) => config.deliver?.(payload),
    );
    this.#sender = new SrtSender(
      config.initialSeq,
      config.sendCapacity ?? 8192,
      this.#dropAgeMs,
      config.rexmitFlag ?? true,
    );
  }

  /** Whether the connection ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The peer's socket id. */
  get peerSocketId(): number {
    return this.#c.peerSocketId;
  }

  /** Counters. */
  get stats(): SrtConnectionStats {
    const r = this.#receiver.stats, s = this.#sender.stats;
    return {
      receivedPackets: r.packets,
      receivedBytes: r.bytes,
      receivedLost: r.lost,
      receivedDropped: r.dropped,
      receivedRetransmitted: r.retransmitted,
      undecrypted: this.#undecrypted,
      sentPackets: s.packets,
      sentBytes: s.bytes,
      sentRetransmitted: s.retransmitted,
      sentDropped: s.dropped + this.#pacedDrops,
      naksSent: this.#naksSent,
      naksReceived: this.#naksReceived,
      rttMs: this.#rttUs / 1000,
    };
  }

  /** Packets sent and not yet acknowledged. */
  get inFlight(): number {
    return this.#sender.inFlight;
  }

  #ts(now: number): number {
    return Math.round((now - this.#c.startMs) * 1000) >>> 0;
  }

  #control(
    type: number,
    info: number,
    cif: Uint8Array | undefined,
    now: number,
    subtype = 0,
  ): void {
    this.#lastSent = now;
    this.#c.send(writeSrtControl({
      type,
      subtype,
      info,
      timestamp: this.#ts(now),
      destinationSocketId: this.#c.peerSocketId,
    }, cif));
  }

  /**
   * Send one payload (at most 1,316 bytes in live mode).
   *
   * @param payload the bytes (copied)
   * @param now the current time, ms
   */
  sendPayload(payload: Uint8Array, now: number): void {
    if (this.#closed) return;
    // a backlog leaves first (each new batch is a drain chance too, not
    // only the 10 ms tick, which a busy or starved process fires late)
    if (this.#pending.length > this.#pendingHead) this.#drain(now);
    else this.#refill(now);
    if (
      this.#pending.length === this.#pendingHead &&
      this.#windowSent < this.#burst
    ) {
      this.#transmit(payload, this.#ts(now), now);
      return;
    }
    // paced: a burst (a joining reader's replay) leaves at most `burst`
    // packets per 10 ms; the queue is bounded like the send buffer
    if (this.#pending.length - this.#pendingHead >= this.#pendingCap) {
      this.#pendingHead++;
      this.#pacedDrops++;
    }
    this.#pending.push(payload);
    this.#pendingTs.push(this.#ts(now));
    this.#pendingAt.push(now);
  }

  #transmit(payload: Uint8Array, ts: number, now: number): void {
    this.#windowSent++;
    this.#lastSent = now;
    this.#lastDataSent = now;
    this.#c.send(this.#sender.packetize(
      payload,
      ts,
      this.#c.peerSocketId,
      this.#crypto,
      now,
    ));
  }

  // The pacing window: `burst` packets per 10 ms. A late drain of a backlog
  // (a busy event loop fired the 10 ms tick after 30 ms) earns the windows it missed, up to
  // MAX_CATCHUP_WINDOWS, so the pacer is a rate rather than a cap per tick
  // (under load a per-tick cap fell below the stream's rate and the bounded
  // queue dropped), while one burst stays within a receive buffer.
  #refill(now: number): void {
    const elapsed = now - this.#windowStart;
    if (elapsed < PACING_WINDOW_MS) return;
    // only a backlog earns missed windows (an idle link starts one fresh)
    const windows = this.#pending.length === this.#pendingHead
      ? 1
      : Math.min(Math.floor(elapsed / PACING_WINDOW_MS), MAX_CATCHUP_WINDOWS);
    this.#windowStart = now;
    this.#windowSent = (1 - windows) * this.#burst;
  }

  #drain(now: number): void {
    if (this.#pendingHead === this.#pending.length) {
      this.#refill(now);
      return;
    }
    // what waited longer than the drop age is too late to play: dropped
    // unsent (as the send buffer drops it unacknowledged)
    while (
      this.#pendingHead < this.#pending.length &&
      now - this.#pendingAt[this.#pendingHead]! >= this.#dropAgeMs
    ) {
      this.#pendingHead++;
      this.#pacedDrops++;
    }
    this.#refill(now);
    while (
      this.#pendingHead < this.#pending.length && this.#windowSent < this.#burst
    ) {
      const i = this.#pendingHead++;
      this.#transmit(this.#pending[i]!, this.#pendingTs[i]!, now);
    }
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0;
      this.#pendingTs.length = 0;
      this.#pendingAt.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead > 1024) {
      const h = this.#pendingHead;
      this.#pending = this.#pending.slice(h);
      this.#pendingTs = this.#pendingTs.slice(h);
      this.#pendingAt = this.#pendingAt.slice(h);
      this.#pendingHead = 0;
    }
  }

  /** Payloads waiting for the pacer. */
  get queued(): number {
    return this.#pending.length - this.#pendingHead;
  }

  /**
   * Take one packet addressed to this connection.
   *
   * @param packet the parsed packet
   * @param now the current time, ms
   */
  handle(packet: SrtPacket, now: number): void {
    if (this.#closed) return;
    this.#lastReceived = now;
    if (!packet.control) {
      let payload = packet.payload;
      if (packet.keyFlags !== 0) {
        const clear = this.#crypto?.transform(
          payload,
          packet.seq,
          packet.keyFlags,
        );
        if (clear == null) {
          this.#undecrypted++;
          return;
        }
        payload = clear;
      }
      const lost = this.#receiver.receive(
        packet.seq,
        packet.timestamp,
        payload,
        packet.retransmitted,
        now,
      );
      if (lost.length > 0) {
        const words = lost.flatMap(([a, b]) =>
          a === b ? [a] : [(a | 0x80000000) >>> 0, b]
        );
        this.#naksSent++;
        this.#control(SrtControlType.Nak, 0, words32(words), now);
      }
      return;
    }
    const v = new DataView(
      packet.cif.buffer,
      packet.cif.byteOffset,
      packet.cif.byteLength,
    );
    switch (packet.type) {
      case SrtControlType.Ack: {
        if (packet.cif.length < 4) return;
        this.#sender.ack(v.getUint32(0) & 0x7fffffff);
        if (packet.cif.length >= 16) {
          this.#control(
            SrtControlType.AckAck,
            packet.info,
            new Uint8Array(4),
            now,
          );
          const rtt = v.getUint32(4);
          if (rtt > 0 && rtt < 10_000_000) {
            this.#rttUs = rtt;
            this.#rttVarUs = v.getUint32(8);
          }
        }
        return;
      }
      case SrtControlType.AckAck: {
        const sent = this.#ackTimes.get(packet.info);
        if (sent === undefined) return;
        this.#ackTimes.delete(packet.info);
        const sample = (now - sent) * 1000;
        this.#rttVarUs = (3 * this.#rttVarUs + Math.abs(this.#rttUs - sample)) /
          4;
        this.#rttUs = (7 * this.#rttUs + sample) / 8;
        return;
      }
      case SrtControlType.Nak: {
        this.#naksReceived++;
        // at most once per smoothed RTT per packet (a repeated NAK that
        // crossed the previous repair is not a new loss)
        const lost = decodeLoss(packet.cif, 1024);
        for (
          const d of this.#sender.retransmit(lost, now, this.#rttUs / 1000)
        ) {
          this.#c.send(d);
        }
        this.#lastSent = now;
        return;
      }
      case SrtControlType.Shutdown:
        this.close("peer shut down", false, now);
        return;
      case SrtControlType.UserDefined:
        if (packet.subtype === 3) this.#kmRefresh(packet.cif, now);
        return;
      default:
        return; // keepalive, drop request, congestion warning, peer error
    }
  }

  #kmRefresh(message: Uint8Array, now: number): void {
    let ok = false;
    try {
      ok = this.#crypto?.install(message) ?? false;
    } catch {
      ok = false;
    }
    const answer = ok ? message : words32([
      this.#crypto === undefined ? SrtKmState.NoSecret : SrtKmState.BadSecret,
    ]);
    this.#control(SrtControlType.UserDefined, 0, answer, now, 4);
  }

  /**
   * Periodic work: too-late drop, ACK, periodic NAK, sender drop,
   * keepalive, idle timeout.
   *
   * @param now the current time, ms
   */
  tick(now: number): void {
    if (this.#closed) return;
    if (now - this.#lastReceived > (this.#c.peerIdleTimeoutMs ?? 5000)) {
      this.close("peer idle timeout", true, now);
      return;
    }
    this.#receiver.tick(now);
    this.#sender.tick(now);
    this.#drain(now);
    const ackSeq = this.#receiver.ackSeq;
    if (
      now - this.#lastAckAt >= ACK_INTERVAL_MS &&
      (ackSeq !== this.#lastAckSeq || now - this.#lastAckAt >= 100) &&
      this.#receiver.stats.packets > 0
    ) {
      this.#sendAck(ackSeq, now);
    }
    // (RTT + 4 RTTVar) / 2, at least 20 ms, and at most a quarter of the
    // latency so a loss gets several repair rounds even when RTT is inflated
    const nakInterval = Math.min(
      Math.max(20, (this.#rttUs + 4 * this.#rttVarUs) / 2000),
      Math.max(20, this.#c.receiveLatencyMs / 4),
    );
    if (this.#receiver.lossCount > 0 && now - this.#lastNakAt >= nakInterval) {
      this.#lastNakAt = now;
      const words = this.#receiver.lossReport(MAX_NAK_WORDS);
      if (words.length > 0) {
        this.#naksSent++;
        this.#control(SrtControlType.Nak, 0, words32(words), now);
      }
    }
    const repairAfter = Math.max(
      40,
      (this.#rttUs + 4 * this.#rttVarUs) / 1000 + 10,
    );
    if (this.#sender.inFlight > 0 && now - this.#lastDataSent >= repairAfter) {
      // nothing sent lately: a lost tail would never be NAKed
      this.#lastDataSent = now;
      for (const d of this.#sender.unacked(16, now)) this.#c.send(d);
    }
    if (now - this.#lastSent >= KEEPALIVE_MS) {
      this.#control(SrtControlType.Keepalive, 0, new Uint8Array(4), now);
    }
  }

  #sendAck(ackSeq: number, now: number): void {
    this.#lastAckAt = now;
    this.#lastAckSeq = ackSeq;
    const number = this.#ackNumber;
    this.#ackNumber = this.#ackNumber >= 0x7fffffff ? 1 : this.#ackNumber + 1;
    this.#ackTimes.set(number, now);
    if (this.#ackTimes.size > ACK_HISTORY) {
      this.#ackTimes.delete(this.#ackTimes.keys().next().value!);
    }
    const r = this.#receiver;
    this.#control(
      SrtControlType.Ack,
      number,
      words32([
        ackSeq,
        Math.round(this.#rttUs),
        Math.round(this.#rttVarUs),
        r.available,
        r.packetRate,
        Math.max(r.packetRate, 1000),
        r.byteRate,
      ]),
      now,
    );
  }

  /**
   * End the connection (idempotent).
   *
   * @param reason why, for `onClose`
   * @param notifyPeer send a shutdown packet first
   * @param now the current time, ms
   */
  close(reason: string, notifyPeer: boolean, now: number): void {
    if (this.#closed) return;
    if (notifyPeer) {
      try {
        this.#control(SrtControlType.Shutdown, 0, new Uint8Array(4), now);
      } catch { /* socket gone */ }
    }
    this.#closed = true;
    this.#c.onClose?.(reason);
  }
}

function words32(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0));
  return out;
}
