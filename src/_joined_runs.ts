// JoinedRuns: the batch bytes every egress format writes, joined once per run
// of frames and shared by all viewers (RTMP chunk bytes, FLV tags).
//
// A batch of one frame is that frame's cached bytes as they are (no copy).
// Longer batches are joined once and memoised by their first frame, so every
// viewer whose batch is the same run (all viewers at the live edge) gets the
// very same Uint8Array. A longer run from the same first frame (a replay for a
// later joiner, a lagging viewer) is appended in place and a shorter one is a
// view: never a copy per viewer. Bytes once written never change, so views
// handed out earlier stay valid when a run grows (in place or in a larger
// copy). Memory: the runs are weakly keyed by frames the ring still holds.
import type { MediaFrame } from "../media/frame.ts";

const EMPTY = new Uint8Array(0);

interface JoinedRun {
  /** The frames joined so far, in order. */
  frames: MediaFrame[];
  /** End offset of each frame's bytes in `buffer`. */
  ends: number[];
  /** Joined bytes in `[0, length)`; spare capacity after. */
  buffer: Uint8Array;
  length: number;
  /** `buffer.subarray(0, length)`, the one object every viewer of the whole run gets. */
  view: Uint8Array;
}

export class JoinedRuns {
  #runs = new WeakMap<MediaFrame, JoinedRun>();
  #joined = 0;

  /** How many joins were built (for tests: one per run, not per viewer). */
  get joined(): number {
    return this.#joined;
  }

  /** The bytes of `frames` (consecutive, in order), each frame's from `bytesOf`. */
  join(
    frames: readonly MediaFrame[],
    bytesOf: (frame: MediaFrame) => Uint8Array,
  ): Uint8Array {
    const count = frames.length;
    if (count === 0) return EMPTY;
    const first = frames[0]!;
    if (count === 1) return bytesOf(first);
    let run = this.#runs.get(first);
    let same = 0;
    if (run !== undefined) {
      const known = run.frames;
      const n = Math.min(count, known.length);
      while (same < n && frames[same] === known[same]) same++;
      if (same === count) {
        return count === known.length
          ? run.view
          : run.buffer.subarray(0, run.ends[count - 1]);
      }
      if (same < known.length) run = undefined; // diverged: a new run
    }
    if (run === undefined) {
      same = 0;
      run = { frames: [], ends: [], buffer: EMPTY, length: 0, view: EMPTY };
      this.#runs.set(first, run);
    }
    let extra = 0;
    for (let i = same; i < count; i++) extra += bytesOf(frames[i]!).length;
    if (run.length + extra > run.buffer.length) {
      // Grow geometrically only when a run is extended (a replay that grows
      // with each joiner), exact size for a fresh run.
      const grown = new Uint8Array(
        run.length === 0
          ? extra
          : Math.max(run.length + extra, run.buffer.length * 2),
      );
      grown.set(run.buffer.subarray(0, run.length), 0);
      run.buffer = grown; // views handed out earlier keep the old buffer
    }
    for (let i = same; i < count; i++) {
      const frame = frames[i]!;
      const bytes = bytesOf(frame);
      run.buffer.set(bytes, run.length);
      run.length += bytes.length;
      run.frames.push(frame);
      run.ends.push(run.length);
    }
    run.view = run.buffer.subarray(0, run.length);
    this.#joined++;
    return run.view;
  }
}
