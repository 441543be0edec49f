/**
 * Recording: {@linkcode RecordingSink} writes a live stream to storage as VOD
 * HLS (MPEG-TS or fMP4) or as one FLV or fragmented-MP4 file that stays
 * playable up to the last complete fragment if the process dies.
 *
 * @example Tour: record FLV to memory
 * ```ts
 * import { RecordingSink } from "@arcly/stream/recording";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * const sink = new RecordingSink({ storage, key: "rec/cam.flv", format: "flv" });
 * await sink.push({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: false, data: new Uint8Array([1, 2]) });
 * await sink.end();
 * const file = await storage.get("rec/cam.flv");
 * assert.equal(new TextDecoder().decode(file!.subarray(0, 3)), "FLV");
 * ```
 *
 * @module
 */
export * from "./recording_sink.ts";
export * from "./recording_sink_options.ts";
export * from "./fmp4_reader.ts";
export * from "./fmp4_fragment_writer.ts";
export * from "./recording_key.ts";
export * from "./recording_index.ts";
export * from "./recording_export.ts";
export * from "./recording_playlist.ts";
export type { CodecId, MediaFrame, TrackKind } from "../frame.ts";
export type { Muxer, MuxOptions } from "../muxer.ts";
export type { StreamError, StreamErrorCode } from "../stream_error.ts";
export type {
  StorageBackend,
  StorageStat,
  WriteOptions,
} from "../storage/storage_backend.ts";
