/**
 * The FLV format of the kernel's egress seam: {@linkcode flvTagFormat}
 * serializes a frame as one complete FLV tag (11-byte header, body,
 * PreviousTagSize; Adobe FLV spec v10.1 §E.4.1 and Enhanced RTMP v2 for the
 * extended codecs), written by `writeFlvTagInto()` straight into the
 * cache's slab (`serializeInto`: no per-frame buffer; `serialize` is the
 * one-allocation `frameToFlvTag()`), or `null` for a codec FLV cannot carry
 * (skipped and counted by the kernel's cache);
 * {@linkcode FlvTagCache} is the kernel's `JoinedEgressCache` with that
 * format (per stream: each tag built once, a batch joined once, the same
 * `Uint8Array` for every viewer at the same position). Timestamps are the
 * stream's absolute ones, never rebased per viewer, which is what makes the
 * bytes shareable. The egress tick, the subscription and the loop are the
 * kernel's (`JoinedEgress`, `src/egress.ts`).
 *
 * Memory is bounded by the frames the kernel retains plus at most one
 * joined run per retained frame.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import {
  flvBodyByteLength,
  flvTagByteLength,
  frameToFlvTag,
  writeFlvTagInto,
} from "../../media/flv/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import type { EgressFormat } from "../../src/egress_cache.ts";
import { JoinedEgressCache } from "../../src/egress_cache.ts";

/** FLV file header flags (§E.2): audio present. */
const FLAG_AUDIO = 0x04;
/** FLV file header flags (§E.2): video present. */
const FLAG_VIDEO = 0x01;

/**
 * The 13 bytes that start every FLV stream: signature, version 1, the
 * audio/video flags, header size 9 and PreviousTagSize0 (Adobe FLV spec
 * v10.1 §E.2, §E.3).
 *
 * @param hasVideo whether the stream carries video
 * @param hasAudio whether the stream carries audio
 * @returns a new 13-byte header
 *
 * @example
 * ```ts
 * import { flvFileHeader } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const header = flvFileHeader(true, true);
 * assert.equal(new TextDecoder().decode(header.subarray(0, 3)), "FLV");
 * assert.equal(header[4], 0x05);
 * assert.equal(header.length, 13);
 * ```
 */
export function flvFileHeader(
  hasVideo: boolean,
  hasAudio: boolean,
): Uint8Array {
  const flags = (hasVideo ? FLAG_VIDEO : 0) | (hasAudio ? FLAG_AUDIO : 0);
  return new Uint8Array([0x46, 0x4c, 0x56, 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]);
}

/**
 * The FLV tag egress format: one complete tag per frame, `null` for a codec
 * FLV cannot carry (e.g. VVC).
 *
 * @example
 * ```ts
 * import { flvTagFormat } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const tag = flvTagFormat.serialize({ kind: "audio", codec: "aac", trackId: 0, pts: 0,
 *   dts: 0, timescale: 1000, keyframe: true, config: false, data: new Uint8Array(2) });
 * assert.equal(tag?.length, 11 + 2 + 2 + 4);
 * ```
 */
export const flvTagFormat: EgressFormat<Uint8Array> = {
  name: "flv",
  serialize(frame: MediaFrame): Uint8Array | null {
    try {
      return frameToFlvTag(frame);
    } catch (error) {
      if (error instanceof StreamError) return null; // never sent, never retried
      throw error;
    }
  },
  serializeInto(
    frame: MediaFrame,
    take: (n: number) => Uint8Array,
  ): Uint8Array | null {
    let length: number;
    try {
      length = flvTagByteLength(flvBodyByteLength(frame));
    } catch (error) {
      if (error instanceof StreamError) return null; // nothing taken
      throw error;
    }
    const view = take(length);
    writeFlvTagInto(frame, view, 0);
    return view;
  },
};

/**
 * Per-stream cache of serialized FLV tags, shared by every viewer of the
 * stream (the kernel's `JoinedEgressCache` with {@linkcode flvTagFormat}).
 *
 * @example Two viewers, one serialization
 * ```ts
 * import { FlvTagCache } from "@arcly/stream/http";
 * import type { MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const cache = new FlvTagCache();
 * const frame: MediaFrame = { kind: "audio", codec: "aac", trackId: 0, pts: 20, dts: 20,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array([1, 2]) };
 * const a = cache.batch([frame]);
 * const b = cache.batch([frame]);
 * assert.equal(a, b); // the same Uint8Array
 * assert.equal(a.length, 11 + 2 + 2 + 4);
 * assert.equal(cache.serialized, 1);
 * ```
 */
export class FlvTagCache extends JoinedEgressCache {
  /** Create an empty cache for one stream. */
  constructor() {
    super(flvTagFormat);
  }

  /**
   * The complete FLV tag of `frame`, built on first use. A frame FLV cannot
   * carry yields an empty array (and is counted in `skipped`).
   *
   * @param frame a frame of this cache's stream
   * @returns the shared tag bytes (read-only)
   */
  tagOf(frame: MediaFrame): Uint8Array {
    return this.bytesOf(frame);
  }
}
