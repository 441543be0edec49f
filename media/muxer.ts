/**
 * The {@linkcode Muxer} contract shared by the container writers (MPEG-TS,
 * fMP4/CMAF, FLV) and used by the HLS segmenter and the recorder.
 *
 * @module
 */
import type { MediaFrame } from "./frame.ts";

/**
 * Options for one {@linkcode Muxer.mux} call.
 *
 * @example
 * ```ts
 * import type { MuxOptions } from "@arcly/stream/media";
 * const options: MuxOptions = { sequenceNumber: 1, nextDts: 2000 };
 * ```
 */
export interface MuxOptions {
  /** Fragment sequence number (fMP4 `mfhd`); ignored by formats without one. */
  sequenceNumber?: number;
  /**
   * Decode timestamp (in the frames' timescale) of the frame that follows this
   * batch, so the last sample of each track gets an exact duration.
   */
  nextDts?: number;
}

/**
 * A container writer: configuration frames in, bytes out. Muxers do no I/O and
 * start no timers.
 *
 * @example
 * ```ts
 * import type { Muxer } from "@arcly/stream/media";
 * function extensionOf(muxer: Muxer): string {
 *   return muxer.extension;
 * }
 * ```
 */
export interface Muxer {
  /** Container name. */
  readonly format: "mpegts" | "fmp4" | "flv";
  /** File extension without the dot ("ts", "m4s", "flv"). */
  readonly extension: string;
  /** MIME type of the output. */
  readonly mimeType: string;
  /** Take a configuration frame (avcC, hvcC, AudioSpecificConfig, …). */
  configure(frame: MediaFrame): void;
  /** The initialization bytes for the current configuration, or null when the format has none. */
  initSegment(): Uint8Array | null;
  /** Mux frames (decode order, mixed tracks) into one segment, part or chunk. */
  mux(frames: readonly MediaFrame[], options?: MuxOptions): Uint8Array;
}
