/**
 * WebRTC for arcly-stream: WHIP ingest and WHEP playback
 * ({@linkcode WebRtcHandler}) over one shared UDP port
 * ({@linkcode UdpMux}), with werift doing ICE, DTLS and SRTP and media/rtp
 * the payload formats.
 *
 * @example Serve WHIP/WHEP beside the HTTP egress
 * ```ts
 * import { WebRtcHandler } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const webrtc = new WebRtcHandler({ udp: { hostname: "127.0.0.1", port: 0 }, hosts: ["127.0.0.1"] });
 * // createHttpApp(engine, { extraRoutes: [webrtc.routes] }); engine.serve([http, webrtc]);
 * assert.equal(webrtc.name, "webrtc");
 * ```
 *
 * @module
 */
export * from "./webrtc_handler.ts";
export * from "./udp_mux.ts";
export * from "./stun_username.ts";
export * from "./sdp_offer.ts";
export * from "./dtls_retransmit.ts";

// Types from the kernel and media that this module's signatures use;
// re-exported (types only) so the docs resolve.
export type * from "../../src/mod.ts";
export type * from "../../media/frame.ts";
export type * from "../../media/stream_error.ts";
