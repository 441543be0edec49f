// Per-kind timing of the frames an HlsSegmenter has seen since the last
// restart: where each track's media ends and what dts its next frame will
// likely have (last dts + average interval; averaging hides the 33/34 ms
// alternation of millisecond timestamps). Memory: one record per kind.
import type { MediaFrame } from "../frame.ts";

interface Track {
  first: number;
  last: number;
  count: number;
  timescale: number;
}

/** Last timestamps and average intervals per track kind. */
export class TrackTiming {
  #tracks = new Map<string, Track>();

  /** Record a media frame. */
  observe(frame: MediaFrame): void {
    const track = this.#tracks.get(frame.kind);
    if (!track) {
      this.#tracks.set(frame.kind, {
        first: frame.dts,
        last: frame.dts,
        count: 1,
        timescale: frame.timescale,
      });
    } else if (frame.dts >= track.last) {
      track.last = frame.dts;
      track.count++;
    }
  }

  /** Average frame interval of `kind` in seconds, or 0 when unknown. */
  averageInterval(kind: string): number {
    const track = this.#tracks.get(kind);
    if (!track || track.count < 2) return 0;
    return (track.last - track.first) / (track.count - 1) / track.timescale;
  }

  /** Estimated dts (in its timescale) of the next frame of `kind`. */
  nextDts(kind: string): number | undefined {
    const track = this.#tracks.get(kind);
    if (!track) return undefined;
    const interval = track.count > 1
      ? (track.last - track.first) / (track.count - 1)
      : 0;
    return Math.round(track.last + interval);
  }

  /** End in seconds of `kind`'s media (or of the longest track), or `fallback`. */
  endT(kind: string | undefined, fallback: number): number {
    let end: number | undefined;
    for (const [name, track] of this.#tracks) {
      if (kind !== undefined && name !== kind) continue;
      const next = this.nextDts(name)!;
      end = Math.max(end ?? 0, next / track.timescale);
    }
    return end ?? fallback;
  }

  /** Forget everything (after a discontinuity). */
  restart(): void {
    this.#tracks.clear();
  }
}
