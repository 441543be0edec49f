/**
 * {@linkcode RtpReorderBuffer}: a bounded jitter/reorder buffer by RTP
 * sequence number (wrap-safe). Packets are released in sequence order; a hole
 * is skipped (and counted) once the buffer is full or the oldest waiting
 * packet has waited `maxDelayMs`, so the depacketizer behind it sees the gap.
 *
 * Data path: holds at most `capacity` packet objects (views, not copies);
 * time is passed in by the caller (no timers in `media/`).
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";
import type { RtpPacket } from "./rtp_packet.ts";

/**
 * Options of {@linkcode RtpReorderBuffer}.
 *
 * @example
 * ```ts
 * import type { RtpReorderBufferOptions } from "@arcly/stream/rtp";
 * const options: RtpReorderBufferOptions = { capacity: 128, maxDelayMs: 100 };
 * ```
 */
export interface RtpReorderBufferOptions {
  /** Most packets held (also the largest reorder distance); default 64, at most 4096. */
  capacity?: number;
  /** Longest a packet waits for a hole before it to fill; default 50 ms. */
  maxDelayMs?: number;
}

/**
 * Reorder buffer counters.
 *
 * @example
 * ```ts
 * import type { RtpReorderStats } from "@arcly/stream/rtp";
 * const stats: RtpReorderStats = { released: 0, reordered: 0, duplicates: 0, late: 0, skipped: 0 };
 * ```
 */
export interface RtpReorderStats {
  /** Packets released in order. */
  readonly released: number;
  /** Packets that arrived out of order and were put back in place. */
  readonly reordered: number;
  /** Duplicates dropped. */
  readonly duplicates: number;
  /** Packets that arrived after their slot was released or skipped, dropped. */
  readonly late: number;
  /** Sequence numbers given up on (holes skipped). */
  readonly skipped: number;
}

/** A restart: a packet this far behind resets the buffer. */
const RESTART_DISTANCE = 3000;

/**
 * A bounded reorder buffer for one RTP stream (one SSRC).
 *
 * @example Two packets swapped come out in order
 * ```ts
 * import { RtpReorderBuffer, type RtpPacket } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const packet = (sequenceNumber: number): RtpPacket => ({
 *   marker: false, payloadType: 96, sequenceNumber, timestamp: 0, ssrc: 1, csrcs: [], payload: new Uint8Array(0),
 * });
 * const buffer = new RtpReorderBuffer({ capacity: 8, maxDelayMs: 50 });
 * assert.deepEqual(buffer.push(packet(65535), 0).map((p) => p.sequenceNumber), [65535]);
 * assert.deepEqual(buffer.push(packet(1), 1), []);
 * assert.deepEqual(buffer.push(packet(0), 2).map((p) => p.sequenceNumber), [0, 1]);
 * buffer.push(packet(3), 3); // 2 is missing
 * assert.deepEqual(buffer.poll(60).map((p) => p.sequenceNumber), [3]);
 * assert.equal(buffer.stats.skipped, 1);
 * ```
 */
export class RtpReorderBuffer {
  readonly #capacity: number;
  readonly #maxDelay: number;
  readonly #slots: ({ packet: RtpPacket; at: number } | undefined)[];
  #next = -1;
  #held = 0;
  #stats = { released: 0, reordered: 0, duplicates: 0, late: 0, skipped: 0 };

  /**
   * Creates an empty buffer.
   *
   * @param options capacity and maximum wait
   */
  constructor(options: RtpReorderBufferOptions = {}) {
    const capacity = options.capacity ?? 64;
    const maxDelay = options.maxDelayMs ?? 50;
    if (
      !Number.isInteger(capacity) || capacity < 1 || capacity > 4096 ||
      !(maxDelay >= 0)
    ) {
      throw new StreamError(
        "InvalidInput",
        `Cannot create reorder buffer: capacity ${capacity} (1..4096), maxDelayMs ${maxDelay}`,
      );
    }
    this.#capacity = capacity;
    this.#maxDelay = maxDelay;
    this.#slots = new Array(capacity).fill(undefined);
  }

  /** Counters. */
  get stats(): RtpReorderStats {
    return { ...this.#stats };
  }

  /** Packets held, waiting for a hole to fill. */
  get size(): number {
    return this.#held;
  }

  /**
   * The sequence numbers of the holes before the newest held packet (what a
   * receiver NACKs, RFC 4585 §6.2.1), oldest first.
   *
   * @param max most numbers returned; default 64
   * @returns missing sequence numbers
   */
  missing(max = 64): number[] {
    if (this.#held === 0) return [];
    let newest = 0;
    for (const slot of this.#slots) {
      if (slot === undefined) continue;
      newest = Math.max(
        newest,
        (slot.packet.sequenceNumber - this.#next) & 0xffff,
      );
    }
    const out: number[] = [];
    for (let d = 0; d < newest && out.length < max; d++) {
      const seq = (this.#next + d) & 0xffff;
      const slot = this.#slots[seq % this.#capacity];
      if (slot === undefined || slot.packet.sequenceNumber !== seq) {
        out.push(seq);
      }
    }
    return out;
  }

  /**
   * Adds a packet; returns the packets now releasable, in order.
   *
   * @param packet the packet
   * @param nowMs the caller's clock, ms
   * @returns released packets
   */
  push(packet: RtpPacket, nowMs: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    const seq = packet.sequenceNumber & 0xffff;
    if (this.#next < 0) this.#next = seq;
    let diff = (seq - this.#next) & 0xffff;
    if (diff >= 0x8000) {
      if (0x10000 - diff <= RESTART_DISTANCE) {
        this.#stats.late++;
        return out;
      }
      this.#flush(out);
      this.#next = seq;
      diff = 0;
    }
    while (diff >= this.#capacity) {
      // too far ahead: give up on the oldest hole(s)
      this.#skipToOldest(out, seq);
      diff = (seq - this.#next) & 0xffff;
    }
    const index = seq % this.#capacity;
    if (this.#slots[index] !== undefined) {
      this.#stats.duplicates++;
      return out;
    }
    if (diff === 0 && this.#held > 0) this.#stats.reordered++;
    this.#slots[index] = { packet, at: nowMs };
    this.#held++;
    this.#release(out);
    this.#expire(out, nowMs);
    return out;
  }

  /**
   * Releases what waited longer than `maxDelayMs` (call on a timer or before
   * each push).
   *
   * @param nowMs the caller's clock, ms
   * @returns released packets
   */
  poll(nowMs: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.#expire(out, nowMs);
    return out;
  }

  /**
   * Releases everything held, in order, skipping holes.
   *
   * @returns released packets
   */
  flush(): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.#flush(out);
    return out;
  }

  #release(out: RtpPacket[]): void {
    for (;;) {
      const index = this.#next % this.#capacity;
      const slot = this.#slots[index];
      if (slot === undefined || slot.packet.sequenceNumber !== this.#next) {
        return;
      }
      this.#slots[index] = undefined;
      this.#held--;
      this.#stats.released++;
      out.push(slot.packet);
      this.#next = (this.#next + 1) & 0xffff;
    }
  }

  /** Moves `next` to the oldest held packet (or to `incoming` when none is held). */
  #skipToOldest(out: RtpPacket[], incoming: number): void {
    if (this.#held === 0) {
      const target = incoming & 0xffff;
      this.#stats.skipped += (target - this.#next) & 0xffff;
      this.#next = target;
      return;
    }
    let best = -1;
    for (const slot of this.#slots) {
      if (slot === undefined) continue;
      const d = (slot.packet.sequenceNumber - this.#next) & 0xffff;
      if (best < 0 || d < best) best = d;
    }
    this.#stats.skipped += best;
    this.#next = (this.#next + best) & 0xffff;
    this.#release(out);
  }

  #expire(out: RtpPacket[], nowMs: number): void {
    while (this.#held > 0) {
      let oldest = Infinity;
      for (const slot of this.#slots) {
        if (slot !== undefined && slot.at < oldest) oldest = slot.at;
      }
      if (nowMs - oldest < this.#maxDelay) return;
      this.#skipToOldest(out, this.#next);
    }
  }

  #flush(out: RtpPacket[]): void {
    while (this.#held > 0) this.#skipToOldest(out, this.#next);
  }
}
