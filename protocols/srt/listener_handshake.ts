/**
 * {@linkcode SrtHandshakeResponder}: the listener side of the HSv5
 * caller-listener handshake (draft-sharabayko-srt §4.3.1), socket-free.
 *
 * ```
 * caller → INDUCTION v4, ext 2, cookie 0      listener → INDUCTION v5, ext 0x4A17, cookie = MAC(addr, minute)
 * caller → CONCLUSION v5 + HSREQ [+ KMREQ] [+ SID], cookie
 *                                              listener → CONCLUSION + HSRSP [+ KMRSP]   or type 1000 + reason
 * ```
 *
 * Induction is answered statelessly: the cookie is an HMAC of the peer
 * address and the current minute under a per-process secret, so a flood of
 * spoofed inductions allocates nothing; only a conclusion that returns a
 * valid cookie reaches {@linkcode SrtHandshakeResponder.conclude}.
 *
 * @module
 */
import crypto from "node:crypto";
import { StreamError } from "../../media/stream_error.ts";
import {
  decodeStreamIdExt,
  findExtension,
  parseHsExt,
  SRT_HS_EXT,
  SRT_MAGIC,
  type SrtExtension,
  SrtExtensionType,
  SrtFlags,
  type SrtHandshake,
  SrtHandshakeType,
  SrtRejectReason,
  writeHandshake,
  writeHsExt,
} from "./handshake.ts";
import { SrtCrypto } from "./key_material.ts";
import { SrtControlType, writeSrtControl } from "./packet.ts";

/**
 * The SRT version this implementation announces (1.5.0).
 *
 * @example
 * ```ts
 * import { SRT_VERSION } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SRT_VERSION, 0x010500);
 * ```
 */
export const SRT_VERSION = 0x010500;

/**
 * Flags we announce in HSREQ/HSRSP: TSBPD both ways, encryption, too-late
 * drop, periodic NAK, the retransmission flag.
 *
 * @example
 * ```ts
 * import { SRT_OUR_FLAGS, SrtFlags } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.ok((SRT_OUR_FLAGS & SrtFlags.TlPktDrop) !== 0);
 * ```
 */
export const SRT_OUR_FLAGS: number = SrtFlags.TsbpdSnd | SrtFlags.TsbpdRcv |
  SrtFlags.Crypt | SrtFlags.TlPktDrop | SrtFlags.PeriodicNak |
  SrtFlags.RexmitFlg;

/**
 * Settings of the responder.
 *
 * @example
 * ```ts
 * import type { SrtResponderOptions } from "@arcly/stream/srt";
 * const o: SrtResponderOptions = { latencyMs: 120, passphrase: "0123456789" };
 * ```
 */
export interface SrtResponderOptions {
  /** Our TSBPD latency, ms. */
  latencyMs: number;
  /** Required passphrase (10–79 characters); none = no encryption. */
  passphrase?: string;
  /** Key length advertised at induction: 16, 24 or 32; default 16. */
  pbKeyLen?: number;
  /** Cookie secret (tests); default random. */
  secret?: Uint8Array;
}

/**
 * A conclusion that passed the checks: what the caller asked for and what
 * was agreed.
 *
 * @example
 * ```ts
 * import type { SrtConclusion } from "@arcly/stream/srt";
 * const latency = (c: SrtConclusion): number => c.receiveLatencyMs;
 * ```
 */
export interface SrtConclusion {
  /** The caller's socket id. */
  peerSocketId: number;
  /** Initial sequence number (both directions). */
  initialSeq: number;
  /** The stream id ("" when absent). */
  streamId: string;
  /** TSBPD latency of what we receive, ms. */
  receiveLatencyMs: number;
  /** TSBPD latency of what we send, ms. */
  sendLatencyMs: number;
  /** Keys, when encrypted. */
  crypto?: SrtCrypto;
  /** The peer sets the R flag on retransmissions. */
  rexmitFlag: boolean;
  /** Build the accepting answer for our socket id. */
  accept(localSocketId: number, timestampUs: number): Uint8Array;
}

/**
 * Stateless handshake answers and conclusion checks.
 *
 * @example A spoofed conclusion is not valid without the induction's cookie
 * ```ts
 * import { SrtHandshakeResponder } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const responder = new SrtHandshakeResponder({ latencyMs: 120 });
 * const cookie = responder.cookie("10.0.0.1:5000", Math.floor(Date.now() / 60000));
 * assert.ok(responder.validCookie("10.0.0.1:5000", cookie, Date.now()));
 * assert.equal(responder.validCookie("10.0.0.2:5000", cookie, Date.now()), false);
 * ```
 */
export class SrtHandshakeResponder {
  #o: SrtResponderOptions;
  #secret: Uint8Array;

  /**
   * Make a responder (one per listener).
   *
   * @param options latency, passphrase
   */
  constructor(options: SrtResponderOptions) {
    this.#o = options;
    this.#secret = options.secret ?? new Uint8Array(crypto.randomBytes(32));
  }

  /**
   * The SYN cookie of a peer address for a minute.
   *
   * @param addr "ip:port"
   * @param minute `Math.floor(ms / 60000)`
   * @returns a 32-bit cookie
   */
  cookie(addr: string, minute: number): number {
    const mac = crypto.createHmac("sha256", this.#secret).update(
      `${addr}|${minute}`,
    ).digest();
    return ((mac[0]! << 24) | (mac[1]! << 16) | (mac[2]! << 8) | mac[3]!) >>> 0;
  }

  /**
   * Whether a conclusion's cookie is this or last minute's for `addr`.
   *
   * @param addr "ip:port"
   * @param cookie the returned cookie
   * @param nowMs wall-clock-like ms
   * @returns true when valid
   */
  validCookie(addr: string, cookie: number, nowMs: number): boolean {
    const m = Math.floor(nowMs / 60000);
    return cookie === this.cookie(addr, m) ||
      cookie === this.cookie(addr, m - 1);
  }

  /**
   * The answer to an induction (no state kept).
   *
   * @param hs the caller's induction
   * @param addr "ip:port" of the caller
   * @param nowMs for the cookie minute
   * @param timestampUs header timestamp
   * @returns the datagram
   */
  induction(
    hs: SrtHandshake,
    addr: string,
    nowMs: number,
    timestampUs: number,
  ): Uint8Array {
    const cookie = this.cookie(addr, Math.floor(nowMs / 60000));
    const keyLen = this.#o.pbKeyLen ?? 16;
    return handshakePacket(hs.socketId, timestampUs, {
      version: 5,
      encryption: this.#o.passphrase === undefined ? 0 : keyLen / 8,
      extension: SRT_MAGIC,
      initialSeq: hs.initialSeq,
      mtu: Math.min(hs.mtu || 1500, 1500),
      flowWindow: Math.min(hs.flowWindow || 8192, 8192),
      type: SrtHandshakeType.Induction,
      socketId: cookie || 1,
      cookie,
      peerIp: hs.peerIp,
      extensions: [],
    });
  }

  /**
   * A rejection answer.
   *
   * @param hs the caller's conclusion
   * @param reason a {@linkcode SrtRejectReason} value
   * @param timestampUs header timestamp
   * @returns the datagram
   */
  reject(hs: SrtHandshake, reason: number, timestampUs: number): Uint8Array {
    return handshakePacket(hs.socketId, timestampUs, {
      ...hs,
      version: 5,
      extension: 0,
      encryption: 0,
      type: 1000 + reason,
      cookie: 0,
      extensions: [],
    });
  }

  /**
   * Check a conclusion (cookie already validated).
   *
   * @param hs the caller's conclusion
   * @returns the agreement, or a {@linkcode SrtRejectReason} with why
   */
  conclude(hs: SrtHandshake): SrtConclusion | { reject: number; why: string } {
    if (hs.version !== 5) {
      return {
        reject: SrtRejectReason.Version,
        why: `handshake version ${hs.version}`,
      };
    }
    const hsreqBytes = findExtension(hs.extensions, SrtExtensionType.HsReq);
    if (hsreqBytes === undefined) {
      return { reject: SrtRejectReason.Version, why: "no HSREQ (SRT < 1.3)" };
    }
    let hsreq;
    let streamId = "";
    try {
      hsreq = parseHsExt(hsreqBytes);
      const sid = findExtension(hs.extensions, SrtExtensionType.Sid);
      if (sid !== undefined) streamId = decodeStreamIdExt(sid);
    } catch (e) {
      return { reject: SrtRejectReason.Rogue, why: (e as Error).message };
    }
    if ((hsreq.flags & SrtFlags.Stream) !== 0) {
      return { reject: SrtRejectReason.MessageApi, why: "stream (file) mode" };
    }
    const km = findExtension(hs.extensions, SrtExtensionType.KmReq);
    let keys: SrtCrypto | undefined;
    if (this.#o.passphrase !== undefined || km !== undefined) {
      if (this.#o.passphrase === undefined || km === undefined) {
        return {
          reject: SrtRejectReason.Unsecure,
          why: km === undefined
            ? "caller has no passphrase"
            : "listener has no passphrase",
        };
      }
      keys = new SrtCrypto(this.#o.passphrase);
      let ok = false;
      try {
        ok = keys.install(km);
      } catch (e) {
        if (!(e instanceof StreamError)) throw e;
      }
      if (!ok) {
        return { reject: SrtRejectReason.BadSecret, why: "wrong passphrase" };
      }
    }
    const receiveLatencyMs = Math.max(this.#o.latencyMs, hsreq.senderDelayMs);
    const sendLatencyMs = Math.max(this.#o.latencyMs, hsreq.receiverDelayMs);
    const extensions: SrtExtension[] = [{
      type: SrtExtensionType.HsRsp,
      content: writeHsExt({
        version: SRT_VERSION,
        flags: SRT_OUR_FLAGS,
        receiverDelayMs: receiveLatencyMs,
        senderDelayMs: sendLatencyMs,
      }),
    }];
    if (km !== undefined) {
      extensions.push({
        type: SrtExtensionType.KmRsp,
        content: new Uint8Array(km),
      });
    }
    const base = { ...hs, peerIp: new Uint8Array(hs.peerIp) };
    return {
      peerSocketId: hs.socketId,
      initialSeq: hs.initialSeq,
      streamId,
      receiveLatencyMs,
      sendLatencyMs,
      ...(keys !== undefined ? { crypto: keys } : {}),
      rexmitFlag: (hsreq.flags & SrtFlags.RexmitFlg) !== 0,
      accept: (localSocketId, timestampUs) =>
        handshakePacket(base.socketId, timestampUs, {
          ...base,
          version: 5,
          encryption: km !== undefined ? base.encryption : 0,
          extension: SRT_HS_EXT.hsreq |
            (km !== undefined ? SRT_HS_EXT.kmreq : 0),
          mtu: Math.min(base.mtu || 1500, 1500),
          flowWindow: Math.min(base.flowWindow || 8192, 8192),
          type: SrtHandshakeType.Conclusion,
          socketId: localSocketId,
          cookie: 0,
          extensions,
        }),
    };
  }
}

/**
 * A handshake control packet.
 *
 * @example
 * ```ts
 * import { handshakePacket, parseSrtPacket } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const p = handshakePacket(7, 0, { version: 4, encryption: 0, extension: 2, initialSeq: 1, mtu: 1500,
 *   flowWindow: 8192, type: 1, socketId: 9, cookie: 0, peerIp: new Uint8Array(16), extensions: [] });
 * assert.equal(parseSrtPacket(p).destinationSocketId, 7);
 * ```
 *
 * @param destinationSocketId header destination
 * @param timestampUs header timestamp
 * @param hs the CIF
 * @returns the datagram
 */
export function handshakePacket(
  destinationSocketId: number,
  timestampUs: number,
  hs: SrtHandshake,
): Uint8Array {
  return writeSrtControl({
    type: SrtControlType.Handshake,
    subtype: 0,
    info: 0,
    timestamp: timestampUs,
    destinationSocketId,
  }, writeHandshake(hs));
}
