/**
 * MPEG-2 transport stream output: {@linkcode MpegTsMuxer} (PAT/PMT, PES with
 * PTS/DTS, PCR, continuity counters, AUD + parameter sets before IDR, AAC as
 * ADTS, Opus) for HLS segments and `.ts` recordings. Input:
 * {@linkcode MpegTsDemuxer} (chunks of any size → frames with their config
 * frames; continuity errors reported and the damaged access units dropped)
 * for SRT ingest and `.ts` files.
 *
 * Specification: ISO/IEC 13818-1 (ITU-T H.222.0).
 *
 * Data path: frames in (length-prefixed NAL units, raw AAC/Opus), 188-byte
 * packets out; each `mux()` sizes first, allocates once and writes in place.
 *
 * @example Tour: configure, mux two segments, counters continue
 * ```ts
 * import { MpegTsMuxer, MPEGTS_PACKET_BYTES } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 *
 * const muxer = new MpegTsMuxer();
 * const asc = new Uint8Array([0x11, 0x90]); // AAC LC 48 kHz stereo
 * muxer.configure({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 48000, keyframe: true, config: true, data: asc });
 * const frame = (pts: number) => ({ kind: "audio", codec: "aac", trackId: 0, pts,
 *   dts: pts, timescale: 48000, keyframe: true, config: false,
 *   data: new Uint8Array(10) } as const);
 * const first = muxer.mux([frame(0), frame(1024)]);
 * const second = muxer.mux([frame(2048)]);
 * assert.equal(first.length % MPEGTS_PACKET_BYTES, 0);
 * // PAT continuity counter: 0 in the first segment, 1 in the second.
 * assert.equal(first[3]! & 0x0f, 0);
 * assert.equal(second[3]! & 0x0f, 1);
 * ```
 *
 * @module
 */
export * from "../frame.ts";
export * from "../muxer.ts";
export * from "./mpegts_muxer.ts";
export * from "./mpegts_demuxer.ts";
export type { StreamError, StreamErrorCode } from "../stream_error.ts";
