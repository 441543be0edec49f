/**
 * The live-mode receiving half of an SRT connection (socket-free): a bounded
 * ring of packets indexed by sequence number, the loss list, in-order
 * delivery, too-late packet drop on the TSBPD clock, and the contents of ACK
 * and NAK packets (draft-sharabayko-srt §4.5 TSBPD, §4.6 too-late drop,
 * §4.8 ACK/NAK).
 *
 * Delivery: contiguous packets go to `deliver` as soon as they arrive (an
 * origin re-times frames by their own PTS, so holding them for the latency
 * would only add delay); a gap is waited for until the first packet after it
 * reaches its TSBPD time (base + timestamp + latency), then dropped and
 * counted. Memory: at most `capacity` payload views (the datagrams they point
 * into).
 *
 * @module
 */
import { seqAdd, seqDiff } from "./packet.ts";

interface Slot {
  seq: number;
  payload: Uint8Array;
  /** TSBPD time, ms on the connection clock. */
  due: number;
}

/** Counters of the receiving half. */
export interface ReceiverStats {
  /** Packets received (including duplicates). */
  packets: number;
  /** Payload bytes delivered. */
  bytes: number;
  /** Packets reported lost (first detection). */
  lost: number;
  /** Packets given up (too late) and skipped. */
  dropped: number;
  /** Duplicate or too-old packets. */
  duplicates: number;
  /** Packets beyond the buffer. */
  overflow: number;
  /** Retransmitted packets received. */
  retransmitted: number;
}

/** Receive buffer and loss list. */
export class SrtReceiver {
  #ring: (Slot | undefined)[];
  #capacity: number;
  #next: number; // next sequence number to deliver
  #highest: number; // highest sequence number seen
  #loss = new Set<number>();
  #latencyMs: number;
  #deliver: (payload: Uint8Array) => void;
  #baseMs: number | undefined; // local ms at sender timestamp 0
  #lastTs = 0;
  #tsEpochUs = 0;
  readonly stats: ReceiverStats = {
    packets: 0,
    bytes: 0,
    lost: 0,
    dropped: 0,
    duplicates: 0,
    overflow: 0,
    retransmitted: 0,
  };
  // receive-rate estimate for ACKs
  #rateWindowStart = 0;
  #rateWindowPackets = 0;
  #rateWindowBytes = 0;
  packetRate = 0;
  byteRate = 0;

  constructor(
    initialSeq: number,
    latencyMs: number,
    capacity: number,
    deliver: (payload: Uint8Array) => void,
  ) {
    this.#next = initialSeq;
    this.#highest = seqAdd(initialSeq, -1);
    this.#latencyMs = latencyMs;
    this.#capacity = capacity;
    this.#ring = new Array(capacity);
    this.#deliver = deliver;
  }

  /** The first sequence number not yet received in order (the ACK number). */
  get ackSeq(): number {
    return this.#next;
  }

  /** Free slots (ACK "available buffer size"). */
  get available(): number {
    return Math.max(
      0,
      this.#capacity - Math.max(0, seqDiff(this.#highest, this.#next) + 1),
    );
  }

  /** Sequence numbers currently reported lost. */
  get lossCount(): number {
    return this.#loss.size;
  }

  #dueOf(timestamp: number, now: number): number {
    // unwrap the 32-bit µs timestamp
    if (timestamp < this.#lastTs && this.#lastTs - timestamp > 0x80000000) {
      this.#tsEpochUs += 0x100000000;
    }
    this.#lastTs = timestamp;
    const us = this.#tsEpochUs + timestamp;
    if (this.#baseMs === undefined) this.#baseMs = now - us / 1000;
    return this.#baseMs + us / 1000 + this.#latencyMs;
  }

  /**
   * Take one data packet.
   *
   * @returns newly detected lost ranges `[first, last]` (for an immediate NAK)
   */
  receive(
    seq: number,
    timestamp: number,
    payload: Uint8Array,
    retransmitted: boolean,
    now: number,
  ): [number, number][] {
    this.stats.packets++;
    if (retransmitted) this.stats.retransmitted++;
    this.#rateWindowPackets++;
    this.#rateWindowBytes += payload.length;
    const due = this.#dueOf(timestamp, now);
    const offset = seqDiff(seq, this.#next);
    if (offset < 0) {
      this.stats.duplicates++;
      return [];
    }
    if (offset >= this.#capacity) {
      this.stats.overflow++;
      return [];
    }
    const index = seq % this.#capacity;
    if (this.#ring[index] !== undefined) {
      this.stats.duplicates++;
      return [];
    }
    this.#ring[index] = { seq, payload, due };
    const lost: [number, number][] = [];
    const ahead = seqDiff(seq, this.#highest);
    if (ahead > 0) {
      if (ahead > 1) {
        const first = seqAdd(this.#highest, 1);
        const last = seqAdd(seq, -1);
        for (let s = first, n = 0; n < ahead - 1; n++, s = seqAdd(s, 1)) {
          this.#loss.add(s);
        }
        this.stats.lost += ahead - 1;
        lost.push([first, last]);
      }
      this.#highest = seq;
    } else {
      this.#loss.delete(seq);
    }
    this.#deliverReady();
    return lost;
  }

  #deliverReady(): void {
    while (true) {
      const index = this.#next % this.#capacity;
      const slot = this.#ring[index];
      if (slot === undefined || slot.seq !== this.#next) return;
      this.#ring[index] = undefined;
      this.#next = seqAdd(this.#next, 1);
      this.stats.bytes += slot.payload.length;
      this.#deliver(slot.payload);
    }
  }

  /**
   * Drop gaps whose successor is due (too-late packet drop), deliver what
   * follows them, and refresh the receive rate.
   */
  tick(now: number): void {
    if (now - this.#rateWindowStart >= 1000) {
      const s = (now - this.#rateWindowStart) / 1000;
      if (this.#rateWindowStart !== 0) {
        this.packetRate = Math.round(this.#rateWindowPackets / s);
        this.byteRate = Math.round(this.#rateWindowBytes / s);
      }
      this.#rateWindowStart = now;
      this.#rateWindowPackets = 0;
      this.#rateWindowBytes = 0;
    }
    while (seqDiff(this.#highest, this.#next) >= 0) {
      // #next is missing (delivery stops only at a gap): find the packet after the gap
      let probe = seqAdd(this.#next, 1);
      let skipped = 1;
      let slot: Slot | undefined;
      while (seqDiff(this.#highest, probe) >= 0) {
        const s = this.#ring[probe % this.#capacity];
        if (s !== undefined && s.seq === probe) {
          slot = s;
          break;
        }
        probe = seqAdd(probe, 1);
        skipped++;
      }
      if (slot === undefined || slot.due > now) return;
      for (let s = this.#next, n = 0; n < skipped; n++, s = seqAdd(s, 1)) {
        this.#loss.delete(s);
      }
      this.stats.dropped += skipped;
      this.#next = probe;
      this.#deliverReady();
    }
  }

  /**
   * The loss list as NAK words: a single number, or `first | 0x80000000`
   * then `last` for a range; at most `maxWords` words.
   */
  lossReport(maxWords: number): number[] {
    if (this.#loss.size === 0) return [];
    const sorted = [...this.#loss].sort((a, b) => seqDiff(a, b));
    return compressLoss(sorted, maxWords);
  }
}

/**
 * Encode sorted sequence numbers as NAK words.
 *
 * @param sorted ascending (by sequence distance)
 * @param maxWords word budget
 * @returns the words
 */
export function compressLoss(
  sorted: readonly number[],
  maxWords: number,
): number[] {
  const words: number[] = [];
  let i = 0;
  while (i < sorted.length && words.length < maxWords) {
    const first = sorted[i]!;
    let last = first;
    while (i + 1 < sorted.length && sorted[i + 1] === seqAdd(last, 1)) {
      last = sorted[++i]!;
    }
    i++;
    if (last === first) words.push(first);
    else {
      if (words.length + 2 > maxWords) break;
      words.push((first | 0x80000000) >>> 0, last);
    }
  }
  return words;
}

/**
 * Decode NAK words into sequence numbers (ranges capped at `maxCount` in all).
 *
 * @param cif the NAK control information field
 * @param maxCount most numbers returned
 * @returns the lost sequence numbers
 */
export function decodeLoss(cif: Uint8Array, maxCount: number): number[] {
  const out: number[] = [];
  const v = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  for (let at = 0; at + 4 <= cif.length && out.length < maxCount; at += 4) {
    const w = v.getUint32(at);
    if ((w & 0x80000000) !== 0) {
      if (at + 8 > cif.length) break;
      const first = w & 0x7fffffff;
      const last = v.getUint32(at + 4) & 0x7fffffff;
      at += 4;
      const n = seqDiff(last, first);
      if (n < 0) continue;
      for (let k = 0; k <= n && out.length < maxCount; k++) {
        out.push(seqAdd(first, k));
      }
    } else out.push(w);
  }
  return out;
}
