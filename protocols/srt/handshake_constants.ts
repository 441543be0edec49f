/**
 * Constants of the SRT handshake (draft-sharabayko-srt §3.2.1): handshake
 * types, reject reasons, extension field bits, the HSv5 magic, extension
 * block types and the SRT flags of HSREQ/HSRSP.
 *
 * @module
 */
/**
 * Handshake types (§3.2.1); values ≥ 1000 are rejections (1000 + reason).
 *
 * @example
 * ```ts
 * import { SrtHandshakeType } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SrtHandshakeType.Conclusion, 0xffffffff);
 * ```
 */
export const SrtHandshakeType = {
  /** Rendezvous: done. */
  Done: 0xfffffffd,
  /** Rendezvous: agreement. */
  Agreement: 0xfffffffe,
  /** Caller's second request / listener's answer. */
  Conclusion: 0xffffffff,
  /** Rendezvous: wave a hand. */
  WaveAHand: 0,
  /** Caller's first request / listener's cookie. */
  Induction: 1,
} as const;

/**
 * Why a connection is refused. 0–99 are SRT's own reasons; 1000 + an
 * HTTP-like status is the "predefined" application range (what a caller's
 * `srt_getrejectreason()` shows). On the wire the handshake type carries
 * `1000 + reason`.
 *
 * @example
 * ```ts
 * import { SrtRejectReason } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SrtRejectReason.Forbidden, 1403);
 * ```
 */
export const SrtRejectReason = {
  /** Unknown. */
  Unknown: 0,
  /** Out of resources on the listener. */
  Resource: 3,
  /** Peer broke the protocol. */
  Rogue: 4,
  /** Backlog / connection limit reached. */
  Backlog: 5,
  /** Unsupported handshake version. */
  Version: 8,
  /** Wrong passphrase. */
  BadSecret: 10,
  /** Encryption required on one side only. */
  Unsecure: 11,
  /** Message API / file mode requested. */
  MessageApi: 12,
  /** Bad stream id. */
  BadRequest: 1400,
  /** Authentication failed. */
  Unauthorized: 1401,
  /** Not allowed. */
  Forbidden: 1403,
  /** No such stream. */
  NotFound: 1404,
  /** Stream already published. */
  Conflict: 1409,
  /** Server error. */
  InternalError: 1500,
  /** Server shutting down or full. */
  Unavailable: 1503,
} as const;

/**
 * The handshake extension field bits (HSv5 conclusion).
 *
 * @example
 * ```ts
 * import { SRT_HS_EXT } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SRT_HS_EXT.hsreq | SRT_HS_EXT.kmreq | SRT_HS_EXT.config, 7);
 * ```
 */
export const SRT_HS_EXT = { hsreq: 1, kmreq: 2, config: 4 } as const;

/**
 * The extension field value of an HSv5 listener's induction answer.
 *
 * @example
 * ```ts
 * import { SRT_MAGIC } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SRT_MAGIC, 0x4a17);
 * ```
 */
export const SRT_MAGIC = 0x4a17;

/**
 * Extension block types.
 *
 * @example
 * ```ts
 * import { SrtExtensionType } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SrtExtensionType.Sid, 5);
 * ```
 */
export const SrtExtensionType = {
  /** Handshake request. */
  HsReq: 1,
  /** Handshake response. */
  HsRsp: 2,
  /** Key material request. */
  KmReq: 3,
  /** Key material response. */
  KmRsp: 4,
  /** Stream id. */
  Sid: 5,
  /** Congestion controller name. */
  Congestion: 6,
  /** Packet filter. */
  Filter: 7,
  /** Group membership. */
  Group: 8,
} as const;

/**
 * SRT flags of HSREQ/HSRSP.
 *
 * @example
 * ```ts
 * import { SrtFlags } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SrtFlags.TlPktDrop, 8);
 * ```
 */
export const SrtFlags = {
  /** Sender uses TSBPD. */
  TsbpdSnd: 0x1,
  /** Receiver uses TSBPD. */
  TsbpdRcv: 0x2,
  /** Encryption supported. */
  Crypt: 0x4,
  /** Too-late packet drop. */
  TlPktDrop: 0x8,
  /** Periodic NAK reports. */
  PeriodicNak: 0x10,
  /** R flag present in data packets. */
  RexmitFlg: 0x20,
  /** Stream (file) mode: refused here. */
  Stream: 0x40,
  /** Packet filter. */
  PacketFilter: 0x80,
} as const;
