/**
 * The live-mode sending half of an SRT connection (socket-free): sequence
 * and message numbers, the send buffer kept for retransmission, release on
 * ACK, retransmission on NAK, and sender-side too-late drop (draft-sharabayko-srt
 * §4.4 live mode, §4.6, §4.8).
 *
 * Data path: each payload becomes one datagram (the 16-byte header written
 * byte by byte + the payload, encrypted when keys are set) built once into a
 * 32 KiB slab of this sender (a bump allocator: no backing store per
 * datagram; a slab is freed once its last datagram is released); the same
 * bytes are re-sent on a NAK with the R flag set in place. The ring's entries
 * are reused objects (no allocation per packet). Memory: at most `capacity`
 * datagrams, and none older than the drop age (the peer's latency plus a
 * margin); the slabs they pin, at most one partly used slab more.
 *
 * @module
 */
import { seqAdd, seqDiff, SRT_HEADER_BYTES } from "./packet.ts";
import type { SrtCrypto } from "./key_material.ts";
import { ByteSlab } from "../../src/byte_slab.ts";

interface Entry {
  seq: number; // -1: free
  datagram: Uint8Array;
  origin: number; // ms when first sent
  resentAt: number; // ms when last re-sent (-Infinity: never)
}

const SLAB_BYTES = 32 * 1024;
const EMPTY = new Uint8Array(0);

/** Counters of the sending half. */
export interface SenderStats {
  /** Data packets sent the first time. */
  packets: number;
  /** Payload bytes sent the first time. */
  bytes: number;
  /** Packets re-sent after a NAK. */
  retransmitted: number;
  /** Packets dropped unsent or unacknowledged (too late, buffer full). */
  dropped: number;
}

/** Send buffer. */
export class SrtSender {
  #ring: (Entry | undefined)[]; // entries are reused (seq -1: free)
  #capacity: number;
  #next: number; // next sequence number to send
  #acked: number; // first sequence number not acknowledged
  #message = 1;
  #dropAgeMs: number;
  #rexmitFlag: boolean;
  #slab = new ByteSlab(SLAB_BYTES);
  readonly stats: SenderStats = {
    packets: 0,
    bytes: 0,
    retransmitted: 0,
    dropped: 0,
  };

  constructor(
    initialSeq: number,
    capacity: number,
    dropAgeMs: number,
    rexmitFlag: boolean,
  ) {
    this.#next = initialSeq;
    this.#acked = initialSeq;
    this.#capacity = capacity;
    this.#ring = new Array(capacity);
    this.#dropAgeMs = dropAgeMs;
    this.#rexmitFlag = rexmitFlag;
  }

  /** Packets sent but not acknowledged. */
  get inFlight(): number {
    return seqDiff(this.#next, this.#acked);
  }

  /**
   * Build the datagram of one payload and keep it for retransmission.
   *
   * @returns the datagram to send
   */
  packetize(
    payload: Uint8Array,
    timestampUs: number,
    peerSocketId: number,
    crypto: SrtCrypto | undefined,
    now: number,
  ): Uint8Array {
    if (this.inFlight >= this.#capacity) {
      this.#release(seqAdd(this.#acked, 1), true);
    }
    const seq = this.#next;
    this.#next = seqAdd(seq, 1);
    let body = payload;
    let keyFlags = 0;
    if (crypto !== undefined && crypto.sendKeyFlags !== 0) {
      keyFlags = crypto.sendKeyFlags;
      body = crypto.transform(payload, seq, keyFlags) ?? payload;
    }
    const size = SRT_HEADER_BYTES + body.length;
    const datagram = this.#slab.take(size);
    // the data header (draft §3.1): seq, PP=11 O=0 KK R=0 message, ts, dst
    const message = this.#message;
    datagram[0] = (seq >>> 24) & 0x7f;
    datagram[1] = seq >>> 16;
    datagram[2] = seq >>> 8;
    datagram[3] = seq;
    datagram[4] = 0xc0 | ((keyFlags & 3) << 3) | ((message >>> 24) & 0x03);
    datagram[5] = message >>> 16;
    datagram[6] = message >>> 8;
    datagram[7] = message;
    datagram[8] = timestampUs >>> 24;
    datagram[9] = timestampUs >>> 16;
    datagram[10] = timestampUs >>> 8;
    datagram[11] = timestampUs;
    datagram[12] = peerSocketId >>> 24;
    datagram[13] = peerSocketId >>> 16;
    datagram[14] = peerSocketId >>> 8;
    datagram[15] = peerSocketId;
    this.#message = message >= 0x03ffffff ? 1 : message + 1;
    datagram.set(body, SRT_HEADER_BYTES);
    const slot = seq % this.#capacity;
    const e = this.#ring[slot];
    if (e === undefined) {
      this.#ring[slot] = { seq, datagram, origin: now, resentAt: -Infinity };
    } else {
      e.seq = seq;
      e.datagram = datagram;
      e.origin = now;
      e.resentAt = -Infinity;
    }
    this.stats.packets++;
    this.stats.bytes += payload.length;
    return datagram;
  }

  /** Release everything before `ackSeq`. */
  ack(ackSeq: number): void {
    const d = seqDiff(ackSeq, this.#acked);
    if (d <= 0 || seqDiff(ackSeq, this.#next) > 0) return;
    this.#release(ackSeq, false);
  }

  #release(until: number, dropped: boolean): void {
    while (seqDiff(until, this.#acked) > 0) {
      const i = this.#acked % this.#capacity;
      const e = this.#ring[i];
      if (e !== undefined && e.seq === this.#acked) {
        e.seq = -1; // the entry is reused, its bytes released
        e.datagram = EMPTY;
        if (dropped) this.stats.dropped++;
      }
      this.#acked = seqAdd(this.#acked, 1);
    }
  }

  /**
   * The datagrams to re-send for a NAK (R flag set), skipping what is gone
   * and what was re-sent less than `minGapMs` ago: a repeated loss report
   * that crossed the previous repair in flight does not double it, which
   * keeps a lagging reader from drowning in its own repairs (the idea of
   * libsrt's `SRTO_RETRANSMITALGO=1`, which waits SRTT − 4·RTTVar; the
   * connection passes the smoothed RTT). The first repair is never held.
   *
   * @param lost sequence numbers
   * @param now the current time, ms
   * @param minGapMs re-send a packet at most once per this interval
   */
  retransmit(lost: readonly number[], now = 0, minGapMs = 0): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const seq of lost) {
      if (seqDiff(seq, this.#acked) < 0 || seqDiff(seq, this.#next) >= 0) {
        continue;
      }
      const e = this.#ring[seq % this.#capacity];
      if (e === undefined || e.seq !== seq) continue;
      if (now - e.resentAt < minGapMs) continue;
      e.resentAt = now;
      if (this.#rexmitFlag) e.datagram[4]! |= 0x04;
      out.push(e.datagram);
      this.stats.retransmitted++;
    }
    return out;
  }

  /**
   * Up to `max` unacknowledged datagrams (R flag set): the tail-loss repair
   * when the stream paused and no later packet will reveal a gap.
   */
  unacked(max: number, now = 0): Uint8Array[] {
    const lost: number[] = [];
    for (
      let s = this.#acked;
      lost.length < max && seqDiff(this.#next, s) > 0;
      s = seqAdd(s, 1)
    ) {
      lost.push(s);
    }
    return this.retransmit(lost, now);
  }

  /** Forget unacknowledged packets older than the drop age. */
  tick(now: number): void {
    while (seqDiff(this.#next, this.#acked) > 0) {
      const e = this.#ring[this.#acked % this.#capacity];
      if (
        e !== undefined && e.seq === this.#acked &&
        now - e.origin < this.#dropAgeMs
      ) {
        return;
      }
      this.#release(seqAdd(this.#acked, 1), true);
    }
  }
}
