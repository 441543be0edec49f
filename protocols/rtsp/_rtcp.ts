/**
 * The one RTCP packet the RTSP server sends: a sender report without
 * reception blocks (RFC 3550 §6.4.1), so players can map RTP time to wall
 * clock and synchronize tracks.
 *
 * @module
 */

/** Seconds between 1900 (NTP epoch) and 1970 (Unix epoch). */
const NTP_OFFSET_S = 2_208_988_800;

/** What a sender report says. */
export interface SenderReportInit {
  /** The sender's SSRC. */
  ssrc: number;
  /** Wall-clock time, ms since the Unix epoch. */
  wallMs: number;
  /** The RTP timestamp matching `wallMs`. */
  rtpTime: number;
  /** Packets sent so far. */
  packets: number;
  /** Payload octets sent so far. */
  octets: number;
}

/**
 * Build a 28-byte RTCP SR (version 2, no reception reports).
 *
 * @param init the report
 * @returns the packet
 */
export function buildSenderReport(init: SenderReportInit): Uint8Array {
  const out = new Uint8Array(28);
  const v = new DataView(out.buffer);
  out[0] = 0x80;
  out[1] = 200;
  v.setUint16(2, 6); // length in 32-bit words minus one
  v.setUint32(4, init.ssrc >>> 0);
  const seconds = Math.floor(init.wallMs / 1000);
  const fraction = Math.floor(((init.wallMs % 1000) / 1000) * 2 ** 32);
  v.setUint32(8, (seconds + NTP_OFFSET_S) >>> 0);
  v.setUint32(12, fraction >>> 0);
  v.setUint32(16, init.rtpTime >>> 0);
  v.setUint32(20, init.packets >>> 0);
  v.setUint32(24, init.octets >>> 0);
  return out;
}
