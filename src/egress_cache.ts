/**
 * Serialize-once caches of the egress seam: an {@linkcode EgressFormat}
 * turns one frame into its wire unit (an FLV tag, RTMP chunk bytes, TS
 * packets, RTP packets), an {@linkcode EgressCache} keeps that unit per
 * frame, and a {@linkcode JoinedEgressCache} also joins a batch of byte
 * units into one `Uint8Array` shared by every viewer taking the same run.
 *
 * Data path: a frame's unit is built the first time any viewer needs it
 * (`format.serialize(frame)`, once per frame per cache) and kept in a
 * `WeakMap<MediaFrame, unit>`, so it lives exactly as long as the kernel's
 * ring or GOP cache holds the frame, and every viewer writes the very same
 * bytes. One policy for a frame the format cannot carry (e.g. VVC in FLV):
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
 * Memory: the units of the frames the kernel retains (in slabs: at most one
 * slab more), plus the few runs that had to be joined.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import { JoinedRuns, UNIT_SLAB_BYTES } from "./_joined_runs.ts";
import { ByteSlab } from "./byte_slab.ts";

const EMPTY = new Uint8Array(0);

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

  /**
   * Create an empty cache.
   *
   * @param format the serializer
   * @param onSkip told (once per frame) about a frame the format cannot carry
   */
  constructor(
    format: EgressFormat<U>,
    onSkip?: (frame: MediaFrame) => void,
  ) {
    this.format = format;
    this.#onSkip = onSkip;
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
      } else this.#serialized++;
      this.#units.set(frame, unit);
    }
    return unit;
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
