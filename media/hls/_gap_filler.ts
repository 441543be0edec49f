// The silent-publisher state of HlsSegmenter (see SegmentAssembler.idle):
// where the listed timeline ends while no media arrives (wall clock, for
// EXT-X-PROGRAM-DATE-TIME), where the media before the gap ended (the
// fillers go on on its timeline), and the last video keyframe, shown as a
// still picture for each filler. Memory: one frame reference.
import type { MediaFrame } from "../frame.ts";

/** Shortest filler segment listed (seconds): a shorter rest is not worth a URI. */
const MIN_FILLER_S = 0.05;

/** A filler's media: the last keyframe re-timed, and the dts after it. */
export interface StillPicture {
  frame: MediaFrame;
  nextDts: number;
}

/** Lists one filler segment (the assembler: mux, store, list, publish). */
export type FillerSink = (
  durationS: number,
  programDateTimeMs: number,
  still: StillPicture | null,
) => Promise<void>;

/** Gap bookkeeping of one segmenter. */
export class GapFiller {
  readonly #targetS: number;
  #endMs: number | undefined;
  #mediaT = 0;
  #keyframe: MediaFrame | undefined;

  /** @param targetS filler duration (the desired segment duration) */
  constructor(targetS: number) {
    this.#targetS = targetS;
  }

  /** True while the publisher is silent (fillers being listed). */
  get active(): boolean {
    return this.#endMs !== undefined;
  }

  /** Remember the last video keyframe; undefined forgets it (a new config). */
  keyframe(frame: MediaFrame | undefined): void {
    this.#keyframe = frame;
  }

  /** The silence begins: listed up to wall `endMs`, media up to `mediaT` s. */
  start(endMs: number, mediaT: number): void {
    this.#endMs = endMs;
    this.#mediaT = mediaT;
  }

  /** Media is back. */
  stop(): void {
    this.#endMs = undefined;
  }

  /**
   * List fillers up to wall `now`: whole target durations, then with `rest`
   * the remainder. With `video`, each shows the last keyframe.
   */
  async fill(
    now: number,
    rest: boolean,
    video: boolean,
    sink: FillerSink,
  ): Promise<void> {
    while (now - this.#endMs! >= this.#targetS * 1000) {
      await this.#one(this.#targetS, video, sink);
    }
    if (rest) await this.#one((now - this.#endMs!) / 1000, video, sink);
  }

  async #one(durationS: number, video: boolean, sink: FillerSink) {
    if (durationS < MIN_FILLER_S) return;
    const startMs = this.#endMs!;
    const startT = this.#mediaT;
    this.#endMs = startMs + Math.round(durationS * 1000);
    this.#mediaT += durationS;
    const key = this.#keyframe;
    let still: StillPicture | null = null;
    if (video && key !== undefined) {
      const dts = Math.round(startT * key.timescale);
      still = {
        frame: { ...key, dts, pts: dts },
        nextDts: Math.round(this.#mediaT * key.timescale),
      };
    }
    await sink(durationS, startMs, still);
  }
}
