/**
 * The per-viewer send of shared RTP packets: the payload type is the
 * viewer's negotiated one, everything else (SSRC, sequence number,
 * timestamp, payload bytes) is the feed's.
 *
 * Two paths:
 * - {@linkcode directSender} (AES_CM_128_HMAC_SHA1_80, which the answer
 *   prefers): our {@linkcode SrtpProtector} keyed from werift's DTLS
 *   exporter protects a frame's packets in one batch, and the datagrams go
 *   straight to the nominated ICE pair's transport (the shared UDP mux),
 *   skipping werift's per-packet RtpPacket serialize, cipher construction
 *   and promise chain. With the handler's {@linkcode NativeSrtp} the
 *   transform runs in the system's libcrypto (same bytes).
 * - {@linkcode sendShared} (any other profile, e.g. AEAD_AES_128_GCM when a
 *   peer offers only that): werift's `sendRtp`; werift's `RtpPacket` view
 *   of a shared packet is parsed once (a `WeakMap` keyed by the bytes).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { RtpPacket } from "werift";
import { SrtpProtector } from "./srtp_protect.ts";
import type { NativeSrtp } from "./_native_srtp.ts";

const parsed = new WeakMap<Uint8Array, RtpPacket>();

/** The werift packet of shared bytes (parsed once). */
export function weriftPacket(bytes: Uint8Array): RtpPacket {
  let p = parsed.get(bytes);
  if (!p) {
    p = RtpPacket.deSerialize(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    );
    parsed.set(bytes, p);
  }
  return p;
}

/** The minimum of werift's DTLS transport this module uses. */
export interface SrtpSender {
  sendRtp(payload: Buffer, header: RtpPacket["header"]): Promise<number>;
}

/** SRTP-protect and send `bytes` with payload type `payloadType` (werift). */
export function sendShared(
  dtls: SrtpSender,
  bytes: Uint8Array,
  payloadType: number,
): void {
  const p = weriftPacket(bytes);
  const original = p.header.payloadType;
  p.header.payloadType = payloadType;
  // sendRtp encrypts synchronously before its first await, so restoring the
  // shared header right after is safe.
  void dtls.sendRtp(p.payload, p.header).catch(() => {});
  p.header.payloadType = original;
}

/** werift's SRTP profile number of AES_CM_128_HMAC_SHA1_80. */
export const SRTP_AES128_CM_HMAC_SHA1_80 = 1;

/** What {@linkcode directSender} reads of werift's DTLS transport. */
interface WeriftDtls {
  dtls?: {
    srtp?: { srtpProfile?: number };
    extractSessionKeys?(
      keyLength: number,
      saltLength: number,
    ): { localKey: Uint8Array; localSalt: Uint8Array };
  };
  iceTransport?: {
    connection?: {
      nominated?: {
        remoteAddr: [string, number];
        protocol: {
          transport: {
            send(d: Uint8Array, a: [string, number]): unknown;
            sendMedia?(d: Uint8Array, a: [string, number]): void;
          };
        };
      };
      canSendApplicationData?(): boolean;
    };
  };
}

/** Sends batches of shared packets with their payload types. */
export interface BatchSender {
  send(packets: readonly Uint8Array[], payloadTypes: readonly number[]): void;
  /** True when the transform runs in the system's libcrypto. */
  readonly native: boolean;
  /** Free the native cipher context (idempotent). */
  dispose(): void;
}

/**
 * The direct path for a connected DTLS transport that negotiated
 * AES_CM_128_HMAC_SHA1_80; undefined for any other profile.
 */
export function directSender(
  dtls: unknown,
  native?: NativeSrtp,
): BatchSender | undefined {
  const d = dtls as WeriftDtls;
  if (d.dtls?.srtp?.srtpProfile !== SRTP_AES128_CM_HMAC_SHA1_80) return;
  const keys = d.dtls.extractSessionKeys?.(16, 14);
  const connection = d.iceTransport?.connection;
  if (!keys || !connection) return;
  const srtp = new SrtpProtector(
    new Uint8Array(keys.localKey),
    new Uint8Array(keys.localSalt),
    native,
  );
  let disposed = false;
  return {
    native: srtp.native,
    send(packets, payloadTypes) {
      const pair = connection.nominated;
      // RFC 7675: no media once consent expired (werift tracks it).
      if (
        disposed || !pair || connection.canSendApplicationData?.() === false
      ) {
        return;
      }
      const out = srtp.protect(packets, payloadTypes);
      const transport = pair.protocol.transport;
      if (transport.sendMedia) {
        for (const d of out) transport.sendMedia(d, pair.remoteAddr);
      } else {
        for (const d of out) transport.send(d, pair.remoteAddr);
      }
    },
    dispose() {
      disposed = true;
      srtp.dispose();
    },
  };
}
