/**
 * The media plane: frame types, codec parsers, containers (FLV, MPEG-TS,
 * fMP4/CMAF), the HLS/LL-HLS packager, storage backends, recording, RTP
 * payload formats and SDP.
 * Pure TypeScript with no sockets and no engine: this layer imports nothing
 * outside `media/`.
 *
 * @module
 */
export * from "./frame.ts";
export * from "./stream_error.ts";
export * from "./codec/mod.ts";
export * from "./flv/mod.ts";
export * from "./mpegts/mod.ts";
export * from "./fmp4/mod.ts";
export * from "./hls/mod.ts";
export * from "./storage/mod.ts";
export * from "./recording/mod.ts";
export * from "./muxer.ts";
export * from "./rtp/mod.ts";
export * from "./sdp/mod.ts";
