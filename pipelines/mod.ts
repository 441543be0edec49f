/**
 * Per-stream pipelines for the kernel's pipeline seam (`Engine.attach`):
 * HLS / LL-HLS packaging ({@linkcode HlsPackaging}) and recording
 * ({@linkcode StreamRecorder}). Each is a plain `StreamPipeline`: the
 * engine runs it on every publish and drains it when the stream ends or the
 * engine shuts down. This folder may import the kernel and any media
 * module, never a protocol.
 *
 * @example Package every stream as HLS into memory
 * ```ts
 * import { HlsPackaging } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const packaging = new HlsPackaging({ storage: new MemoryStorage(), format: "ts" });
 * engine.attach(packaging);
 * engine.startPublish("live/cam");
 * assert.ok(packaging.segmenter("live/cam"));
 * ```
 *
 * @module
 */
export {
  HlsPackaging,
  type HlsPackagingEngine,
  type HlsPackagingOptions,
  MAX_PACKAGED_STREAMS,
} from "./hls_packaging.ts";
export {
  StreamRecorder,
  type StreamRecorderOptions,
} from "./stream_recorder.ts";
export {
  RecordingRetention,
  type RecordingRetentionOptions,
} from "./retention_recordings.ts";
export { HlsRetention, type HlsRetentionOptions } from "./retention_hls.ts";
export { dvrWindowSegments } from "./hls_dvr.ts";
export type { HlsSegmenter, HlsSegmenterEvent } from "../media/hls/mod.ts";
export type {
  RecordingFile,
  RecordingFormat,
  RecordingIndex,
} from "../media/recording/mod.ts";
export type { StorageBackend } from "../media/storage/mod.ts";
export type * from "../src/mod.ts";
