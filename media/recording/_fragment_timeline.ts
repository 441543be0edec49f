// Fragment timing for RecordingSink: where fragments start, when one is
// full, and where the stream ends (for the last sample's duration).
import type { MediaFrame } from "../frame.ts";

/** Tracks fragment start and per-kind frame intervals. */
export class FragmentTimeline {
  readonly #fragmentS: number;
  #hasVideo = false;
  #startT = 0;
  #tracks = new Map<
    string,
    { first: number; last: number; count: number; timescale: number }
  >();

  /** @param fragmentS target fragment duration in seconds */
  constructor(fragmentS: number) {
    this.#fragmentS = fragmentS;
  }

  /** A frame a fragment (or the file) may start with. */
  isRandomAccess(frame: MediaFrame): boolean {
    if (frame.kind === "video") this.#hasVideo = true;
    return frame.keyframe && (frame.kind === "video" || !this.#hasVideo);
  }

  /** Whether the fragment holds at least the target duration before `frame`. */
  fragmentFull(frame: MediaFrame): boolean {
    return frame.dts / frame.timescale - this.#startT >=
      this.#fragmentS - 0.001;
  }

  /** `frame` opens a fragment. */
  startFragment(frame: MediaFrame): void {
    this.#startT = frame.dts / frame.timescale;
  }

  /** Record a frame's timestamp. */
  observe(frame: MediaFrame): void {
    const t = frame.dts;
    const track = this.#tracks.get(frame.kind);
    if (!track) {
      this.#tracks.set(frame.kind, {
        first: t,
        last: t,
        count: 1,
        timescale: frame.timescale,
      });
    } else if (t >= track.last) {
      track.last = t;
      track.count++;
    }
  }

  /** Decode time just past the last frame (last dts + average interval), or undefined. */
  endDts(): number | undefined {
    let end: number | undefined;
    for (const { first, last, count } of this.#tracks.values()) {
      const interval = count > 1 ? (last - first) / (count - 1) : 0;
      end = Math.max(end ?? 0, Math.round(last + interval));
    }
    return end;
  }
}
