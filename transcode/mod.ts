/**
 * Transcoding around ffmpeg (driven as a child process, `--allow-run=ffmpeg`):
 * ABR renditions, audio bridges (AAC ↔ Opus) and thumbnails as derived
 * streams (`live/cam~480p`, `live/cam~opus`, `live/cam~aac`) and an HTTP route
 * (`/{app}/{name}/thumbnail.jpg`).
 *
 * @example Parse a ladder and plan it for a 720p source
 * ```ts
 * import { parseLadder, planLadder } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * const plan = planLadder(1280, 720, parseLadder("720p,480p,360p"));
 * assert.deepEqual(plan.map((r) => r.name), ["480p", "360p"]);
 * ```
 *
 * @module
 */
export * from "./ladder.ts";
export * from "./ffmpeg_args.ts";
export * from "./ffmpeg_progress.ts";
export * from "./ffmpeg_transcoder.ts";
export * from "./frame_batches.ts";
export * from "./pipe_tags.ts";
export * from "./transcode_service.ts";
export * from "./transcode_types.ts";
export * from "./thumbnails.ts";
export * from "./abr_playlist.ts";
export type * from "../src/mod.ts";
export type * from "../media/frame.ts";
export type * from "../media/stream_error.ts";
export type { FlvMuxer } from "../media/flv/mod.ts";
export type { HlsRenditionReport, HlsVariant } from "../media/hls/mod.ts";
