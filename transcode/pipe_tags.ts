/**
 * The FLV tags written to ffmpeg's stdin, built once per frame and shared by
 * every transcoder given the same {@linkcode PipeTagCache} (the renditions of
 * one source are fed the same frames). A {@linkcode TranscodeService} owns
 * one; nothing is shared between services.
 *
 * Memory: tags live in 512 KiB slabs (one allocation per ~30 frames of a
 * 3 Mbit/s source instead of one per frame); a tag is looked up by its
 * frame in a `WeakMap`, so a tag and its slab live as long as the frames
 * whose tags it holds (the kernel's GOP cache), plus the slab being filled.
 *
 * @module
 */
import type { FlvMuxer } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { ByteSlab } from "../src/byte_slab.ts";

/**
 * FLV tags of media frames for ffmpeg's stdin, shared by the transcoders
 * that hold the same cache.
 *
 * @example Two lookups of one frame give the very same bytes
 * ```ts
 * import { PipeTagCache } from "@arcly/stream/transcode";
 * import { FlvMuxer } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const cache = new PipeTagCache();
 * const muxer = new FlvMuxer();
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false,
 *   data: new Uint8Array(4) } as const;
 * assert.equal(cache.tagOf(frame, muxer), cache.tagOf(frame, muxer));
 * ```
 */
export class PipeTagCache {
  #tags = new WeakMap<MediaFrame, Uint8Array>();
  #slab = new ByteSlab(512 << 10, { align: 8, ownAbove: 128 << 10 });

  /**
   * The FLV tag of a media frame (not a config frame), built by `muxer`
   * the first time.
   *
   * @param frame the frame
   * @param muxer the FLV muxer that writes the tag
   * @returns the tag's bytes (shared: do not modify)
   */
  tagOf(frame: MediaFrame, muxer: FlvMuxer): Uint8Array {
    let tag = this.#tags.get(frame);
    if (tag === undefined) {
      const frames = [frame];
      tag = this.#slab.take(muxer.byteLengthOf(frames));
      muxer.writeInto(frames, tag, 0);
      this.#tags.set(frame, tag);
    }
    return tag;
  }
}
