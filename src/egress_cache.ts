/**
 * Serialize-once caches of the egress seam: an {@linkcode EgressFormat}
 * turns one frame into its wire unit (an FLV tag, RTMP chunk bytes, TS
 * packets, RTP packets), an {@linkcode EgressCache} keeps that unit per
 * frame, and a {@linkcode JoinedEgressCache} also joins a batch of byte
 * units into one `Uint8Array` shared by every viewer taking the same run.
 *
 * Data path: a frame's unit is built the first time any viewer needs it
 * (`format.serialize(frame)`, once per frame per cache) and kept in a
 * `WeakMap<MediaFrame, unit>`, and every viewer writes the very same bytes.
 * Given the stream's `oldestWantedMs` (the egress seam passes it), the
 * cache also lists its media frames in serialization order and every 32
 * units drops the units of frames more than a second older than the oldest
 * frame a viewer may still take or a joiner replays (the GOP cache's
 * keyframe): the cache then holds about a GOP and what the slowest viewer
 * has not taken (≈ 2–3 s of a 2 s-GOP stream whose viewers keep up) rather
 * than the ring's 14 s. A dropped unit that is asked for again is built
 * again (a correct unit; stateful formats see it out of order). Without it
 * a unit lives as long as the kernel holds its frame. One policy for a frame the format cannot carry (e.g. VVC in FLV):
 * `serialize` returns `null`, the frame is skipped (never retried) and
 * counted in `skipped`. A batch of one frame is that frame's unit as it is;
 * a longer batch is memoised by its first frame. A byte cache keeps each
 * unit in a slab (512 KiB, units copied in the order they are built, i.e.
 * publish order), so the units of consecutive frames lie back to back and a
 * batch is a view of the slab, not a copy; only a run that is not adjacent
 * there (it crosses into a new slab, or starts with config frames kept from
 * earlier) is joined into a new buffer, once (a longer run from the same
 * frame, the replay of a later joiner, is appended in place and a shorter
 * one is a view): never a copy per viewer.
 *
 * Memory: the units of the frames the viewers and joiners still want (in
 * slabs: a slab is freed once none of its units is held), one array slot
 * per such frame, plus the few runs that had to be joined.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import { JoinedRuns, UNIT_SLAB_BYTES } from "./_joined_runs.ts";
import { ByteSlab } from "./byte_slab.ts";

const EMPTY = new Uint8Array(0);

/** Units built between two trims of an {@linkcode EgressCache} (~0.5 s of a 30 fps stream with audio). */
const TRIM_EVERY = 32;

/**
 * A unit is dropped only this much (ms of dts) behind the oldest frame a
 * viewer wants: the tracks of a stream interleave with small dts steps back.
 */
const INTERLEAVE_MS = 1_000;

/**
 * How one egress format serializes a frame: the only code a live format
 * plugs into the egress seam.
 *
 * @example A toy format: one length byte, then the payload
 * ```ts
 * import type { EgressFormat, MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const toy: EgressFormat<Uint8Array> = {
 *   name: "toy",
 *   serialize: (frame: MediaFrame) =>
 *     frame.codec === "vvc" ? null : Uint8Array.of(frame.data.length, ...frame.data),
 * };
 * assert.equal(toy.name, "toy");
 * ```
 */
export interface EgressFormat<U> {
  /** Name used in events and stats ("flv", "rtmp", "rtp", "mpegts"). */
  readonly name: string;
  /**
   * The wire unit of `frame` (built once per frame and shared), or `null`
   * when this format cannot carry the frame's codec: skipped and counted.
   */
  serialize(frame: MediaFrame): U | null;
  /**
   * Optional, for byte formats: the same bytes as `serialize`, written into
   * the view `take(n)` hands out (the cache's slab), or `null` (nothing
   * taken) when the format cannot carry the frame. A
   * {@linkcode JoinedEgressCache} prefers it: no per-frame buffer that
   * becomes garbage once copied into the slab.
   */
  serializeInto?(
    frame: MediaFrame,
    take: (n: number) => Uint8Array,
  ): Uint8Array | null;
}

/**
 * Per-stream cache of serialized units, shared by every viewer of the
 * stream (see the module doc).
 *
 * @example One serialization for two viewers; an unsupported frame is skipped
 * ```ts
 * import { EgressCache, type MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const cache = new EgressCache<number[]>({
 *   name: "sizes",
 *   serialize: (f) => (f.codec === "vvc" ? null : [f.data.length]),
 * });
 * const aac: MediaFrame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(3) };
 * assert.equal(cache.unitOf(aac), cache.unitOf(aac));
 * assert.equal(cache.unitOf({ ...aac, kind: "video", codec: "vvc" }), null);
 * assert.deepEqual([cache.serialized, cache.skipped], [1, 1]);
 * ```
 */
export class EgressCache<U> {
  /** The format the units are built with. */
  readonly format: EgressFormat<U>;
  #units = new WeakMap<MediaFrame, U | null>();
  #serialized = 0;
  #skipped = 0;
  #onSkip: ((frame: MediaFrame) => void) | undefined;
  #oldestWantedMs: (() => number) | undefined;
  /** Media frames with a unit, in the order they were serialized (from `#first`). */
  #order: MediaFrame[] = [];
  #first = 0;
  #sinceTrim = 0;
  #dropped = 0;

  /**
   * Create an empty cache.
   *
   * @param format the serializer
   * @param onSkip told (once per frame) about a frame the format cannot carry
   * @param oldestWantedMs the dts (ms) of the oldest frame a viewer may
   *   still take (`StreamHandle.oldestWantedMs`): units of media frames
   *   older than that (less a second of interleave) are dropped, so the
   *   cache holds what the viewers and joiners need, not the whole ring.
   *   Without it a unit lives as long as its frame.
   */
  constructor(
    format: EgressFormat<U>,
    onSkip?: (frame: MediaFrame) => void,
    oldestWantedMs?: () => number,
  ) {
    this.format = format;
    this.#onSkip = onSkip;
    this.#oldestWantedMs = oldestWantedMs;
  }

  /** Units dropped before their frame left the kernel (behind every viewer). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Media frames whose unit the cache holds now (config frames and skips not counted). */
  get held(): number {
    return this.#order.length - this.#first;
  }

  /** Frames serialized so far (each at most once). */
  get serialized(): number {
    return this.#serialized;
  }

  /** Frames the format cannot carry, left out of the output. */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * The unit of `frame`, built on first use, or `null` when the format
   * cannot carry it.
   *
   * @param frame a frame of this cache's stream
   * @returns the shared unit (read-only), or null
   */
  unitOf(frame: MediaFrame): U | null {
    let unit = this.#units.get(frame);
    if (unit === undefined) {
      unit = this.build(frame);
      if (unit === null) {
        this.#skipped++;
        this.#onSkip?.(frame);
      } else {
        this.#serialized++;
        if (this.#oldestWantedMs !== undefined && !frame.config) {
          this.#order.push(frame);
          if (++this.#sinceTrim >= TRIM_EVERY) this.#trim();
        }
      }
      this.#units.set(frame, unit);
    }
    return unit;
  }

  /**
   * Drop the units of media frames older than every viewer's position and
   * the GOP a joiner replays (less {@linkcode INTERLEAVE_MS}): the bytes
   * then go with the next GC instead of staying as long as the ring holds
   * the frame. A config frame's unit stays with its frame (joiners replay
   * it). A viewer that still asked for a dropped unit gets it built again.
   */
  #trim(): void {
    this.#sinceTrim = 0;
    const wanted = this.#oldestWantedMs!();
    const order = this.#order;
    if (!(wanted > Number.NEGATIVE_INFINITY)) {
      // Everything must be kept (a GOP longer than the ring, a replay not
      // taken yet): the units stay with their frames, as without a window,
      // and the list lets go of the frames so it never outlives the ring.
      order.length = 0;
      this.#first = 0;
      return;
    }
    const limit = wanted - INTERLEAVE_MS;
    let first = this.#first;
    while (first < order.length) {
      const frame = order[first]!;
      if ((frame.dts * 1000) / frame.timescale >= limit) break;
      this.#units.delete(frame);
      first++;
      this.#dropped++;
    }
    if (first > 256 && first * 2 > order.length) {
      this.#order = order.slice(first);
      first = 0;
    }
    this.#first = first;
  }

  /**
   * Serialize `frame` and keep its unit (`format.serialize`, then
   * {@linkcode EgressCache.place}); a byte cache writes straight into its slab.
   *
   * @param frame a frame of this cache's stream, not serialized yet
   * @returns the unit kept for the frame, or null when the format cannot carry it
   */
  protected build(frame: MediaFrame): U | null {
    const unit = this.format.serialize(frame);
    return unit === null ? null : this.place(unit);
  }

  /**
   * Where a freshly serialized unit is kept (the unit as it is here; a
   * byte cache copies it into its slab so consecutive units are adjacent).
   *
   * @param unit the unit `format.serialize` just built
   * @returns what the cache keeps and hands out for the frame
   */
  protected place(unit: U): U {
    return unit;
  }

  /**
   * The units of a batch, frames the format cannot carry left out.
   *
   * @param frames consecutive frames of the stream
   * @returns a new array of shared units (empty when none is carried)
   */
  unitsOf(frames: readonly MediaFrame[]): U[] {
    const out: U[] = [];
    for (let i = 0; i < frames.length; i++) {
      const unit = this.unitOf(frames[i]!);
      if (unit !== null) out.push(unit);
    }
    return out;
  }
}

/**
 * An {@linkcode EgressCache} of byte units that also joins batches: every
 * viewer taking the same run of frames gets the very same `Uint8Array`.
 *
 * @example Two viewers, one join
 * ```ts
 * import { JoinedEgressCache, type MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const cache = new JoinedEgressCache({ name: "raw", serialize: (f) => f.data });
 * const frame = (n: number): MediaFrame => ({ kind: "audio", codec: "aac", trackId: 0,
 *   pts: n, dts: n, timescale: 1000, keyframe: true, config: false, data: Uint8Array.of(n) });
 * const run = [frame(1), frame(2)];
 * assert.equal(cache.batch(run), cache.batch([...run]));
 * assert.deepEqual([...cache.batch(run)], [1, 2]);
 * assert.equal(cache.joined, 1);
 * ```
 */
export class JoinedEgressCache extends EgressCache<Uint8Array> {
  #runs = new JoinedRuns();
  #slab = new ByteSlab(UNIT_SLAB_BYTES);

  /**
   * Copies the unit into the stream's current slab, right after the
   * previous one, so a batch of consecutive frames is one view of the slab
   * (no joined copy); the serializer's own buffer becomes young garbage.
   *
   * @param unit the freshly serialized bytes
   * @returns the slab view kept for the frame
   */
  protected override place(unit: Uint8Array): Uint8Array {
    return this.#slab.place(unit);
  }

  /**
   * With a format's `serializeInto`, the unit is written in the slab
   * directly (one write, no garbage buffer); otherwise serialize and copy.
   *
   * @param frame a frame of this cache's stream, not serialized yet
   * @returns the slab view kept for the frame, or null when the format cannot carry it
   */
  protected override build(frame: MediaFrame): Uint8Array | null {
    const format = this.format;
    if (format.serializeInto === undefined) return super.build(frame);
    return format.serializeInto(frame, this.#take);
  }

  #take = (n: number): Uint8Array => this.#slab.take(n);

  /** Multi-frame batches joined so far (one per distinct run of frames, not per viewer). */
  get joined(): number {
    return this.#runs.joined;
  }

  /**
   * Of the joined batches, those served as one view of the slab (units of
   * consecutive frames lie back to back there): no bytes copied.
   */
  get viewed(): number {
    return this.#runs.viewed;
  }

  /**
   * The bytes of `frame` (empty when the format cannot carry it).
   *
   * @param frame a frame of this cache's stream
   * @returns the shared bytes (read-only)
   */
  bytesOf(frame: MediaFrame): Uint8Array {
    return this.unitOf(frame) ?? EMPTY;
  }

  /**
   * The bytes of a batch as one chunk: one frame's cached bytes, or the
   * bytes joined once and memoised by the first frame (shared by every
   * viewer taking the same run; frames the format cannot carry are empty).
   *
   * @param frames consecutive frames of the stream, in order
   * @returns the joined bytes (read-only; shared)
   */
  batch(frames: readonly MediaFrame[]): Uint8Array {
    return this.#runs.join(frames, this.#bytesOf);
  }

  #bytesOf = (frame: MediaFrame): Uint8Array => this.bytesOf(frame);
}
