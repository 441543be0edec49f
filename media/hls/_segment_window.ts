// The completed segments of an HlsSegmenter: the playlist window, segments
// waiting out their grace period after leaving it (RFC 8216bis §6.2.2: a
// removed segment stays available for its duration plus the playlist's),
// sequence numbers and bit-rate figures. Memory: window + grace entries.
import type { HlsSegment } from "./media_playlist.ts";

interface Retained {
  readonly segment: HlsSegment;
  readonly deleteAtS: number;
}

/** Sliding (or unbounded) list of complete segments. */
export class SegmentWindow {
  readonly #size: number;
  #segments: HlsSegment[] = [];
  #retained: Retained[] = [];
  #nextMsn = 0;
  #mediaSequence = 0;
  #discontinuitySequence = 0;
  #deletedBelow = 0;
  #mediaClockS = 0;
  #rateClockS = 0;
  #forcedCut = false;
  #peakBps = 0;
  #totalBytes = 0;

  /** @param size segments listed; Infinity keeps every segment */
  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  /** Segments in the playlist, oldest first. */
  get segments(): readonly HlsSegment[] {
    return this.#segments;
  }
  /** msn the next segment gets. */
  get nextMsn(): number {
    return this.#nextMsn;
  }
  /** EXT-X-MEDIA-SEQUENCE. */
  get mediaSequence(): number {
    return this.#mediaSequence;
  }
  /** EXT-X-DISCONTINUITY-SEQUENCE. */
  get discontinuitySequence(): number {
    return this.#discontinuitySequence;
  }
  /** Segments completed so far. */
  get completedCount(): number {
    return this.#nextMsn;
  }
  /** Whether any segment was cut between keyframes. */
  get hasForcedCut(): boolean {
    return this.#forcedCut;
  }
  /** Last complete segment. */
  get last(): HlsSegment | undefined {
    return this.#segments.at(-1);
  }
  /** Highest segment bit rate seen (BANDWIDTH). */
  get peakBitsPerSecond(): number {
    return this.#peakBps;
  }
  /** Bytes over media time of every segment (AVERAGE-BANDWIDTH). */
  get averageBitsPerSecond(): number {
    return this.#rateClockS > 0 ? (this.#totalBytes * 8) / this.#rateClockS : 0;
  }

  /**
   * Take over `previous`'s numbering and its listed and retained segments
   * (a republish under the same prefix): sequence numbers go on, old
   * segments slide out and are deleted as if this window had made them.
   * Bit-rate figures start afresh (a new encoder).
   */
  adopt(previous: SegmentWindow): void {
    this.#nextMsn = previous.#nextMsn;
    this.#mediaSequence = previous.#mediaSequence;
    this.#discontinuitySequence = previous.#discontinuitySequence;
    this.#deletedBelow = previous.#deletedBelow;
    this.#mediaClockS = previous.#mediaClockS;
    this.#forcedCut = previous.#forcedCut;
    this.#segments = [...previous.#segments];
    this.#retained = [...previous.#retained];
  }

  /** Whether segment `msn` is complete. */
  isComplete(msn: number): boolean {
    return msn < this.#nextMsn;
  }

  /**
   * Append a complete segment; returns the segments whose grace period is
   * over and whose files should now be deleted.
   */
  add(segment: HlsSegment, bytes: number, forced: boolean): HlsSegment[] {
    const durationS = segment.durationS ?? 0;
    this.#segments.push(segment);
    this.#nextMsn = segment.msn + 1;
    this.#mediaClockS += durationS;
    this.#rateClockS += durationS;
    this.#totalBytes += bytes;
    this.#forcedCut ||= forced;
    if (durationS >= 0.5) {
      this.#peakBps = Math.max(this.#peakBps, (bytes * 8) / durationS);
    }
    while (this.#segments.length > this.#size) {
      const old = this.#segments.shift()!;
      this.#mediaSequence = old.msn + 1;
      // RFC 8216bis §6.2.2: removing an EXT-X-DISCONTINUITY tag (it belongs
      // to the removed segment) increments EXT-X-DISCONTINUITY-SEQUENCE.
      if (old.discontinuity) this.#discontinuitySequence++;
      const playlistS = this.#segments.reduce(
        (sum, s) => sum + (s.durationS ?? 0),
        0,
      );
      this.#retained.push({
        segment: old,
        deleteAtS: this.#mediaClockS + (old.durationS ?? 0) + playlistS,
      });
    }
    const due: HlsSegment[] = [];
    while (
      this.#retained.length && this.#retained[0]!.deleteAtS <= this.#mediaClockS
    ) {
      const { segment: gone } = this.#retained.shift()!;
      this.#deletedBelow = gone.msn + 1;
      due.push(gone);
    }
    return due;
  }

  /** Parts listed for complete segment `msn` (0 when it has none or left the window). */
  partsOf(msn: number): number {
    const last = this.#segments.at(-1);
    // The common case (a blocking reload at the live edge) is the newest.
    const segment = last?.msn === msn
      ? last
      : this.#segments.find((s) => s.msn === msn);
    return segment?.parts.length ?? 0;
  }

  /** `live`, `gone` or `unknown` for a complete segment (or one of its parts). */
  stateOf(msn: number, part: number | undefined): "live" | "gone" | "unknown" {
    if (msn < this.#deletedBelow) return "gone";
    if (msn >= this.#nextMsn) return "unknown";
    const segment = this.#segments.find((s) => s.msn === msn) ??
      this.#retained.find((r) => r.segment.msn === msn)?.segment;
    // Skipped by a discontinuity restart, or listed as EXT-X-GAP (never stored).
    if (!segment || segment.gap) return "unknown";
    if (part === undefined) return "live";
    const listed = segment.parts[part];
    return listed !== undefined && !listed.gap ? "live" : "unknown";
  }
}
