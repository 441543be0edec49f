// JoinedRuns: the batch bytes every egress format writes, joined once per run
// of frames and shared by all viewers (RTMP chunk bytes, FLV tags).
//
// Units: where a byte cache keeps each frame's serialized unit. Units are
// copied, in the order they are built (publish order at the live edge),
// into one slab after another (a `ByteSlab` of UNIT_SLAB_BYTES, back to
// back), so the units of consecutive frames are
// adjacent and a batch of them is a view of the slab: no joined copy per
// tick (before: every tick's batch was joined into a new buffer that lived
// as long as the ring held its first frame — one more copy of the stream).
// A slab lives while any unit in it is referenced (frames the ring retains),
// so it holds at most one slab more than the retained units.
//
// A batch of one frame is that frame's cached bytes as they are (no copy).
// Longer batches are joined once and memoised by their first frame, so every
// viewer whose batch is the same run (all viewers at the live edge) gets the
// very same Uint8Array. A longer run from the same first frame (a replay for a
// later joiner, a lagging viewer) is appended in place and a shorter one is a
// view: never a copy per viewer. Bytes once written never change, so views
// handed out earlier stay valid when a run grows (in place or in a larger
// copy).
//
// Memory (issue 19): the memo is MEMO_RUNS runs, the least recently used
// replaced — not a WeakMap entry (an ephemeron, extra GC work) with two
// arrays for every run while the ring holds its first frame. At the live
// edge every viewer's batch is the same run, so the last few runs are the
// hits; a run no longer memoised is a view of the slab again (no copy) when
// its units are adjacent, or joined again (a run that crossed slabs, a
// replay starting with config frames kept from earlier). The memo holds
// its frames until replaced.
import type { MediaFrame } from "../media/frame.ts";

const EMPTY = new Uint8Array(0);

/** Bytes per slab (a unit larger than this gets a slab of its own size). */
export const UNIT_SLAB_BYTES = 512 * 1024;

/**
 * The units of `frames` as one view when they lie back to back in one
 * buffer (units a `ByteSlab` placed in order), else undefined.
 * Empty units (frames a format skips) do not break a run.
 */
function contiguous(
  frames: readonly MediaFrame[],
  bytesOf: (frame: MediaFrame) => Uint8Array,
  ends: number[],
): Uint8Array | undefined {
  let buffer: ArrayBufferLike | undefined;
  let start = 0;
  let end = 0;
  for (let i = 0; i < frames.length; i++) {
    const bytes = bytesOf(frames[i]!);
    if (bytes.length > 0) {
      if (buffer === undefined) {
        buffer = bytes.buffer;
        start = end = bytes.byteOffset;
      } else if (bytes.buffer !== buffer || bytes.byteOffset !== end) {
        return undefined;
      }
      end += bytes.length;
    }
    ends.push(end - start);
  }
  return buffer === undefined
    ? undefined
    : new Uint8Array(buffer, start, end - start);
}

/** Runs memoised per cache (the least recently used is replaced). */
export const MEMO_RUNS = 4;

interface JoinedRun {
  /** Last use (the cache's join count), for the replacement. */
  used: number;
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
  /** The memo: at most MEMO_RUNS runs, distinct first frames. */
  #runs: JoinedRun[] = [];
  #uses = 0;
  #joined = 0;
  #viewed = 0;

  /** The memoised run starting with `first`, if any. */
  #find(first: MediaFrame): JoinedRun | undefined {
    const runs = this.#runs;
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      if (run.frames[0] === first) {
        run.used = ++this.#uses;
        return run;
      }
    }
    return undefined;
  }

  /** Memoise `run` in place of the one with its first frame, else of the least recently used. */
  #keep(run: JoinedRun): void {
    run.used = ++this.#uses;
    const runs = this.#runs;
    const first = run.frames[0];
    let at = runs.length < MEMO_RUNS ? runs.length : 0;
    for (let i = 0; i < runs.length; i++) {
      if (runs[i]!.frames[0] === first) {
        at = i;
        break;
      }
      if (runs.length === MEMO_RUNS && runs[i]!.used < runs[at]!.used) at = i;
    }
    runs[at] = run;
  }

  /** How many multi-frame batches were built, copies and views (for tests: one per run, not per viewer). */
  get joined(): number {
    return this.#joined;
  }

  /** Of those, how many were a view of adjacent units (no copy). */
  get viewed(): number {
    return this.#viewed;
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
    let run = this.#find(first);
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
    // Units placed back to back (a slab): the batch is a view, no copy.
    const ends: number[] = [];
    const view = contiguous(frames, bytesOf, ends);
    if (view !== undefined) {
      this.#keep({
        used: 0,
        frames: frames.slice(),
        ends,
        buffer: view,
        length: view.length,
        view,
      });
      this.#joined++;
      this.#viewed++;
      return view;
    }
    if (run === undefined) {
      same = 0;
      run = {
        used: 0,
        frames: [],
        ends: [],
        buffer: EMPTY,
        length: 0,
        view: EMPTY,
      };
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
    this.#keep(run); // its frames now start with `first`
    this.#joined++;
    return run.view;
  }
}
