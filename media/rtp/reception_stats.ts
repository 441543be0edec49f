/**
 * {@linkcode RtpReceptionStats}: what a receiver reports about one source in
 * RTCP receiver reports (RFC 3550 §6.4.1, Appendix A.3 and A.8): extended
 * highest sequence number, cumulative and interval loss, interarrival jitter,
 * and the LSR/DLSR of the last sender report.
 *
 * Data path: a few numbers per source; arrival time is passed in by the
 * caller (no timers in `media/`).
 *
 * @module
 */
import type { RtcpPacket, RtcpReportBlock } from "./rtcp.ts";
import type { RtpPacket } from "./rtp_packet.ts";

/**
 * Reception statistics of one RTP source (one SSRC).
 *
 * @example Count, lose one, report
 * ```ts
 * import { RtpReceptionStats, type RtpPacket } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const stats = new RtpReceptionStats(90000);
 * const packet = (sequenceNumber: number, timestamp: number): RtpPacket => ({
 *   marker: false, payloadType: 96, sequenceNumber, timestamp, ssrc: 7, csrcs: [], payload: new Uint8Array(0),
 * });
 * stats.receive(packet(65534, 0), 0);
 * stats.receive(packet(65535, 3000), 33);
 * stats.receive(packet(1, 9000), 100); // 0 is lost, across the wrap
 * const block = stats.reportBlock(200);
 * assert.equal(block.ssrc, 7);
 * assert.equal(block.highestSequence, 65536 + 1);
 * assert.equal(block.cumulativeLost, 1);
 * assert.equal(block.fractionLost, 64); // 1 of 4 expected, in 1/256
 * ```
 */
export class RtpReceptionStats {
  readonly #clockRate: number;
  #ssrc = 0;
  #started = false;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit: number | undefined;
  #jitter = 0;
  #lastSr = 0;
  #lastSrAt: number | undefined;

  /**
   * Creates the statistics of one source.
   *
   * @param clockRate the source's RTP clock rate (for jitter in timestamp units)
   */
  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** Packets received. */
  get received(): number {
    return this.#received;
  }

  /** Extended highest sequence number received (cycles · 65536 + max). */
  get highestSequence(): number {
    return this.#cycles + this.#maxSeq;
  }

  /** Packets expected minus packets received (may be negative with duplicates). */
  get cumulativeLost(): number {
    return this.highestSequence - this.#baseSeq + 1 - this.#received;
  }

  /** Interarrival jitter, RTP timestamp units. */
  get jitter(): number {
    return Math.floor(this.#jitter);
  }

  /**
   * Counts one received packet.
   *
   * @param packet the packet
   * @param arrivalMs the caller's clock when it arrived, ms
   */
  receive(packet: RtpPacket, arrivalMs: number): void {
    const seq = packet.sequenceNumber;
    if (!this.#started) {
      this.#started = true;
      this.#ssrc = packet.ssrc;
      this.#baseSeq = seq;
      this.#maxSeq = seq;
    } else {
      const delta = (seq - this.#maxSeq) & 0xffff;
      if (delta > 0 && delta < 0x8000) {
        if (seq < this.#maxSeq) this.#cycles += 0x10000;
        this.#maxSeq = seq;
      }
    }
    this.#received++;
    const arrival = Math.round(arrivalMs * this.#clockRate / 1000);
    const transit = arrival - packet.timestamp;
    if (this.#transit !== undefined) {
      const d = Math.abs((transit - this.#transit) | 0);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  /**
   * Remembers a sender report of this source (for LSR/DLSR).
   *
   * @param sr the parsed SR
   * @param arrivalMs the caller's clock when it arrived, ms
   */
  senderReport(
    sr: Extract<RtcpPacket, { type: "sr" }>,
    arrivalMs: number,
  ): void {
    this.#lastSr = ((sr.ntpSeconds & 0xffff) << 16 | sr.ntpFraction >>> 16) >>>
      0;
    this.#lastSrAt = arrivalMs;
  }

  /**
   * The report block for a receiver report now; starts a new loss interval.
   *
   * @param nowMs the caller's clock, ms
   * @returns the block
   */
  reportBlock(nowMs: number): RtcpReportBlock {
    const expected = this.highestSequence - this.#baseSeq + 1;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval <= 0 || lostInterval <= 0
      ? 0
      : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const lost = Math.max(-0x800000, Math.min(0x7fffff, this.cumulativeLost));
    return {
      ssrc: this.#ssrc,
      fractionLost,
      cumulativeLost: lost,
      highestSequence: this.highestSequence >>> 0,
      jitter: this.jitter >>> 0,
      lastSr: this.#lastSr,
      delaySinceLastSr: this.#lastSrAt === undefined
        ? 0
        : Math.max(0, Math.round((nowMs - this.#lastSrAt) * 65.536)) >>> 0,
    };
  }
}
