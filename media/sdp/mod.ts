/**
 * SDP (RFC 8866) for RTSP and WebRTC: {@linkcode parseSdp}, {@linkcode buildSdp},
 * media sections from a stream's codec configs ({@linkcode mediaFromConfigs})
 * and the RTP format of a payload type ({@linkcode rtpFormatOf}).
 *
 * Data path: text in, plain objects out (and back); bounded by
 * {@linkcode MAX_SDP_BYTES}, {@linkcode MAX_SDP_LINES} and {@linkcode MAX_SDP_MEDIA}.
 *
 * @example Parse, pick the H.264 format, build back
 * ```ts
 * import { buildSdp, parseSdp, rtpFormatOf } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 *
 * const sdp = parseSdp("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n" +
 *   "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:streamid=0\r\n");
 * const format = rtpFormatOf(sdp.media[0]!)!;
 * assert.equal(format.encodingName, "H264");
 * assert.equal(format.fmtp["packetization-mode"], "1");
 * assert.equal(parseSdp(buildSdp(sdp)).media[0]!.control, "streamid=0");
 * ```
 *
 * @module
 */
export * from "../frame.ts";
export * from "./sdp.ts";
export * from "./build.ts";
export * from "./configs.ts";
