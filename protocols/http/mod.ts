/**
 * HTTP egress for arcly-stream, built on Hono: HLS and LL-HLS (blocking
 * playlist reload), HTTP-FLV, WebSocket-FLV, `/api/streams`, `/metrics`,
 * health probes and a dashboard page, under one URL scheme per stream
 * `app/name`.
 *
 * @example Serve stored HLS output
 * ```ts
 * import { hlsRoutes, storageKeyFromPath } from "@arcly/stream/http";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * await storage.put("live/cam/seg0.ts", new Uint8Array(188));
 * const res = await hlsRoutes({ storage }).request("/live/cam/seg0.ts");
 * assert.equal(res.status, 200);
 * assert.equal(storageKeyFromPath("/live/cam/seg0.ts"), "live/cam/seg0.ts");
 * ```
 *
 * @module
 */
export type { HttpRoutes } from "./http_routes.ts";
export {
  decodeSafeSegment,
  isSafePath,
  MAX_URL_KEY_DEPTH,
  MAX_URL_KEY_LENGTH,
  storageKeyFromPath,
} from "./path_safety.ts";
export {
  BLOCKING_PLAYLIST_CACHE_CONTROL,
  cacheControlOf,
  mediaTypeOf,
  MUTABLE_CACHE_CONTROL,
  PLAYLIST_CACHE_CONTROL,
  SEGMENT_CACHE_CONTROL,
} from "./http_media_types.ts";
export {
  httpStatusOf,
  type PlayAccess,
  type PlayAuthorizer,
  type PlayProtocol,
  playTokenOf,
} from "./play_access.ts";
export {
  ADVANCE_MSN_LIMIT,
  ADVANCE_PART_LIMIT,
  advancePartLimit,
  blockingDecision,
  type BlockingRequest,
  parseBlockingRequest,
  type PlaylistPosition,
  playlistPosition,
} from "./hls_blocking.ts";
export {
  type HlsPlaylistSource,
  hlsRoutes,
  type HlsRoutesOptions,
  type HlsStorageReader,
  type LiveHlsPlaylist,
} from "./hls_routes.ts";
export { type DashboardOptions, dashboardRoutes } from "./ops/dashboard.ts";
export { flvFileHeader, FlvTagCache, flvTagFormat } from "./flv_tag_cache.ts";
export {
  flvRoutes,
  type FlvRoutesOptions,
  type FlvStreamOpener,
  MAX_WS_BUFFERED_BYTES,
} from "./flv_routes.ts";
export {
  type ApiStream,
  type ApiTrack,
  type StreamsApiEngine,
  streamsApiRoutes,
  toApiStream,
} from "./ops/api_routes.ts";
export {
  API_V1_VERSION,
  type ApiV1Engine,
  apiV1Error,
  type ApiV1Options,
  apiV1Routes,
  checkApiToken,
} from "./ops/api_v1.ts";
export type * from "./ops/api_v1_types.ts";
export { apiV1OpenApi } from "./ops/api_v1_openapi.ts";
export { CpuSampler, processMemory, RateMeter } from "./ops/api_v1_system.ts";
export { type HealthEngine, healthRoutes } from "./ops/health_routes.ts";
export {
  type RecordingsApiOptions,
  recordingsApiRoutes,
  recordingsRouteProvider,
} from "./ops/recordings_routes.ts";
export type {
  RecordingFile,
  RecordingFileFormat,
  RecordingFragment,
  RecordingIndex,
} from "../../media/recording/mod.ts";
export type { Fmp4InitTrack } from "../../media/recording/fmp4_reader.ts";
export {
  type MetricsEngineView,
  metricsRoutes,
  PrometheusObserver,
  type PrometheusObserverOptions,
} from "./ops/metrics.ts";
export { createHttpApp, type HttpAppOptions } from "./app.ts";
export { HttpHandler, type HttpHandlerOptions } from "./http_handler.ts";
// The kernel's types (Engine, StreamHandle, Observer, …) appear in this
// module's signatures; re-export them (types only) so the docs resolve.
export type * from "../../src/mod.ts";
export type { CodecId, MediaFrame, TrackKind } from "../../media/frame.ts";
export type {
  StorageBackend,
  StorageStat,
  WriteOptions,
} from "../../media/storage/mod.ts";
export type {
  HlsPart,
  HlsPlaylistKind,
  HlsRenditionReport,
  HlsSegment,
  HlsSegmenter,
  HlsSegmenterEvent,
  HlsSegmenterOptions,
  HlsSegmentState,
} from "../../media/hls/mod.ts";
export {
  BitstreamError,
  StreamError,
  type StreamErrorCode,
  type StreamErrorOptions,
} from "../../media/stream_error.ts";
// Moved to `@arcly/stream/pipelines`; re-exported here for compatibility
// (deprecated, see CHANGELOG.md).
export {
  HlsPackaging,
  type HlsPackagingEngine,
  type HlsPackagingOptions,
  MAX_PACKAGED_STREAMS,
} from "../../pipelines/hls_packaging.ts";
