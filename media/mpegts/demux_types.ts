/**
 * Public option, event and statistics types of {@linkcode MpegTsDemuxer}
 * (kept apart from the packet loop so each file stays small).
 *
 * @module
 */
import type { CodecId } from "../frame.ts";
import type { StreamError } from "../stream_error.ts";

/**
 * Options for the MPEG-TS demuxer.
 *
 * @example Pick program 2 and watch for damage
 * ```ts
 * import { MpegTsDemuxer, type MpegTsDemuxerOptions } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const options: MpegTsDemuxerOptions = { programNumber: 2, onEvent: (e) => seen.push(e.type) };
 * const demuxer = new MpegTsDemuxer(options);
 * assert.deepEqual(demuxer.push(new Uint8Array(0)), []);
 * ```
 */
export interface MpegTsDemuxerOptions {
  /** The program to demux; default: the first program in the PAT. */
  programNumber?: number;
  /**
   * Largest PES reassembled (default 16 MiB); a larger one is dropped with a
   * `pesDropped` event carrying a `LimitExceeded` {@linkcode StreamError}.
   * Audio PES are further capped at 2 MiB.
   */
  maxPesBytes?: number;
  /** Called synchronously for damage, drops and program changes. */
  onEvent?: (event: MpegTsDemuxEvent) => void;
}

/**
 * Why an access unit (one PES) was dropped:
 * - `continuity`: packets of its PID were lost (continuity counter jump)
 * - `tooLarge`: it exceeded `maxPesBytes`
 * - `malformed`: bad PES header or elementary stream syntax
 * - `truncated`: shorter than its PES_packet_length
 * - `transportError`: a packet had transport_error_indicator set
 * - `scrambled`: a packet was scrambled
 * - `resync`: the sync byte was lost in the middle of it
 *
 * @example
 * ```ts
 * import type { MpegTsDropReason } from "@arcly/stream/mpegts";
 * const reason: MpegTsDropReason = "continuity";
 * ```
 */
export type MpegTsDropReason =
  | "continuity"
  | "tooLarge"
  | "malformed"
  | "truncated"
  | "transportError"
  | "scrambled"
  | "resync";

/**
 * One elementary stream the demuxer outputs.
 *
 * @example
 * ```ts
 * import type { MpegTsStreamInfo } from "@arcly/stream/mpegts";
 * const info: MpegTsStreamInfo = { pid: 0x100, streamType: 0x1b, kind: "video", codec: "h264", trackId: 0 };
 * ```
 */
export interface MpegTsStreamInfo {
  /** elementary_PID. */
  readonly pid: number;
  /** stream_type from the PMT. */
  readonly streamType: number;
  /** Video or audio. */
  readonly kind: "video" | "audio";
  /** The frames' codec. */
  readonly codec: CodecId;
  /** The frames' trackId (0 for the first of its kind). */
  readonly trackId: number;
}

/**
 * Something the demuxer noticed. Events are informational: frames are never
 * garbled, whatever happened.
 *
 * @example Count continuity errors
 * ```ts
 * import type { MpegTsDemuxEvent } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 *
 * let errors = 0;
 * const onEvent = (event: MpegTsDemuxEvent) => {
 *   if (event.type === "continuityError") errors++;
 * };
 * onEvent({ type: "continuityError", pid: 0x100, expected: 3, got: 5 });
 * assert.equal(errors, 1);
 * ```
 */
export type MpegTsDemuxEvent =
  | {
    readonly type: "continuityError";
    readonly pid: number;
    readonly expected: number;
    readonly got: number;
  }
  | {
    readonly type: "pesDropped";
    readonly pid: number;
    readonly reason: MpegTsDropReason;
    readonly error?: StreamError;
  }
  | {
    readonly type: "programChanged";
    readonly programNumber: number;
    readonly streams: readonly MpegTsStreamInfo[];
  }
  | {
    readonly type: "unsupportedStream";
    readonly pid: number;
    readonly streamType: number;
  }
  | { readonly type: "resync"; readonly skippedBytes: number };

/**
 * Counters since the demuxer was created.
 *
 * @example
 * ```ts
 * import { MpegTsDemuxer, type MpegTsDemuxStats } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 *
 * const stats: MpegTsDemuxStats = new MpegTsDemuxer().stats;
 * assert.equal(stats.packets, 0);
 * ```
 */
export interface MpegTsDemuxStats {
  /** Transport packets read. */
  readonly packets: number;
  /** Bytes pushed. */
  readonly bytes: number;
  /** Continuity counter jumps on PIDs of the program. */
  readonly continuityErrors: number;
  /** Access units dropped because they were damaged, too large or malformed. */
  readonly droppedAccessUnits: number;
  /** Video access units skipped while waiting for a keyframe (start, after damage). */
  readonly skippedAccessUnits: number;
  /** Times the sync byte was lost and searched for again. */
  readonly resyncs: number;
  /** Media frames output (config frames not counted). */
  readonly frames: number;
  /** The last PCR of the program (27 MHz units), if any. */
  readonly lastPcr: number | undefined;
}
