// Where HlsSegmenter cuts segments and parts. Pure: times in seconds in, a
// decision out. Called only for "driving" frames (video when the stream has
// video, else every audio frame), so every part starts on a driving frame.

/** What to do before adding a driving frame. */
export type Cut = "none" | "part" | "segment";

/**
 * Tolerance on durations: RTMP timestamps are whole milliseconds, so a
 * 30 fps GOP of 60 frames may measure 1.999 s or 2.001 s.
 */
const TOLERANCE_S = 0.001;

/** Cut decisions plus the frame-interval and GOP estimates they rest on. */
export class CutPolicy {
  readonly #targetS: number;
  readonly #maxS: number;
  readonly #partTargetS: number | undefined;
  #intervalS = 0;
  #gopS = 0;
  #lastT: number | undefined;
  #lastKeyT: number | undefined;

  /**
   * @param targetS desired segment duration
   * @param targetDurationS EXT-X-TARGETDURATION: segments must round to ≤ it
   * @param partTargetS LL-HLS part target, or undefined
   */
  constructor(
    targetS: number,
    targetDurationS: number,
    partTargetS: number | undefined,
  ) {
    this.#targetS = targetS;
    // RFC 8216bis §4.4.3.1: EXTINF rounded to the nearest integer <= target.
    this.#maxS = targetDurationS + 0.5 - TOLERANCE_S;
    this.#partTargetS = partTargetS;
  }

  /** Last interval between driving frames, seconds (0 before two frames). */
  get intervalS(): number {
    return this.#intervalS;
  }

  /** Decide for a driving frame at `t` before it joins the current part. */
  decide(
    t: number,
    keyframe: boolean,
    segmentStartT: number,
    partStartT: number,
  ): Cut {
    const segment = t - segmentStartT;
    if (segment <= 0) return "none";
    if (keyframe) {
      if (segment >= this.#targetS - TOLERANCE_S) return "segment";
      // Waiting one more GOP (estimated by the one ending now) would
      // overshoot the target duration: cut now.
      const gop = this.#lastKeyT === undefined
        ? this.#gopS
        : t - this.#lastKeyT;
      const longEnough = segment >= this.#targetS / 2;
      if (longEnough && gop > 0 && segment + gop > this.#maxS) return "segment";
    }
    // Last resort (GOP longer than the target): cut between keyframes.
    // The margin of half a frame absorbs jitter in millisecond timestamps.
    if (segment + this.#intervalS * 1.5 > this.#maxS) return "segment";
    if (this.#partTargetS !== undefined) {
      const part = t - partStartT;
      if (
        part > 0 &&
        (part >= this.#partTargetS - TOLERANCE_S ||
          part + this.#intervalS > this.#partTargetS + TOLERANCE_S)
      ) {
        return "part";
      }
    }
    return "none";
  }

  /** Record a driving frame after it was added. */
  observe(t: number, keyframe: boolean): void {
    if (this.#lastT !== undefined && t > this.#lastT) {
      this.#intervalS = t - this.#lastT;
    }
    this.#lastT = t;
    if (keyframe) {
      if (this.#lastKeyT !== undefined && t > this.#lastKeyT) {
        this.#gopS = t - this.#lastKeyT;
      }
      this.#lastKeyT = t;
    }
  }

  /** Forget the timeline (after a discontinuity); keeps the estimates. */
  restart(): void {
    this.#lastT = undefined;
    this.#lastKeyT = undefined;
  }
}
