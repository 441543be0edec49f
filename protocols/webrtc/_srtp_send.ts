/**
 * The per-viewer send of a shared RTP packet: the payload type is the
 * viewer's negotiated one, everything else (SSRC, sequence number,
 * timestamp, payload bytes) is the feed's. werift's `RtpPacket` view of a
 * shared packet is parsed once (a `WeakMap` keyed by the shared bytes) and
 * only SRTP-protected per viewer.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { RtpPacket } from "werift";

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

/** SRTP-protect and send `bytes` with payload type `payloadType`. */
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
