/**
 * The one piece of STUN the shared UDP port reads itself: the `USERNAME` of
 * a Binding request (RFC 8489 §14.3, ICE RFC 8445 §7.2.2: `"<receiver
 * ufrag>:<sender ufrag>"`), which names the session a new remote address
 * belongs to. Everything else (integrity, fingerprint, responses) is
 * werift's ICE agent's job once the datagram reached its session.
 *
 * Classification follows RFC 7983: first byte 0–3 STUN, 20–63 DTLS,
 * 128–191 RTP/RTCP.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";

/** Kinds of datagram on a WebRTC UDP port (RFC 7983 §7).
 *
 * @example
 * ```ts
 * import { classifyDatagram } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * assert.equal(classifyDatagram(new Uint8Array([0x80, 96])), "rtp");
 * ```
 */
export type DatagramKind = "stun" | "dtls" | "rtp" | "other";

/**
 * Classify one datagram by its first byte (RFC 7983).
 *
 * @example
 * ```ts
 * import { classifyDatagram } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * assert.equal(classifyDatagram(new Uint8Array([22, 254, 253])), "dtls");
 * assert.equal(classifyDatagram(new Uint8Array([])), "other");
 * ```
 */
export function classifyDatagram(bytes: Uint8Array): DatagramKind {
  const b = bytes[0];
  if (b === undefined) return "other";
  if (b <= 3) return "stun";
  if (b >= 20 && b <= 63) return "dtls";
  if (b >= 128 && b <= 191) return "rtp";
  return "other";
}

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const ATTR_USERNAME = 0x0006;
const MAX_USERNAME_BYTES = 513;

/**
 * The `USERNAME` attribute of a STUN Binding request, or `null` when the
 * datagram is a STUN message of another type or has no `USERNAME`. Throws
 * `StreamError` `InvalidInput` when the bytes are not a well-formed STUN
 * message (bad cookie, length, truncated attribute).
 *
 * @example
 * ```ts
 * import { stunBindingUsername } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const name = new TextEncoder().encode("srv1:cli1");
 * const msg = new Uint8Array(20 + 4 + 12);
 * const view = new DataView(msg.buffer);
 * view.setUint16(0, 0x0001); view.setUint16(2, 16); view.setUint32(4, 0x2112a442);
 * view.setUint16(20, 0x0006); view.setUint16(22, name.length); msg.set(name, 24);
 * assert.equal(stunBindingUsername(msg), "srv1:cli1");
 * ```
 */
export function stunBindingUsername(bytes: Uint8Array): string | null {
  if (bytes.length < 20) {
    throw new StreamError(
      "InvalidInput",
      `Cannot read STUN message: ${bytes.length} bytes is shorter than its 20-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(0);
  const length = view.getUint16(2);
  if ((type & 0xc000) !== 0 || view.getUint32(4) !== MAGIC_COOKIE) {
    throw new StreamError(
      "InvalidInput",
      "Cannot read STUN message: no magic cookie",
    );
  }
  if (length % 4 !== 0 || 20 + length > bytes.length) {
    throw new StreamError(
      "InvalidInput",
      `Cannot read STUN message: length ${length} does not fit ${bytes.length} bytes`,
    );
  }
  if (type !== BINDING_REQUEST) return null;
  let offset = 20;
  const end = 20 + length;
  while (offset + 4 <= end) {
    const attrType = view.getUint16(offset);
    const attrLength = view.getUint16(offset + 2);
    const valueStart = offset + 4;
    if (valueStart + attrLength > end) {
      throw new StreamError(
        "InvalidInput",
        `Cannot read STUN attribute 0x${
          attrType.toString(16)
        }: ${attrLength} bytes overrun the message`,
      );
    }
    if (attrType === ATTR_USERNAME) {
      if (attrLength > MAX_USERNAME_BYTES) {
        throw new StreamError(
          "InvalidInput",
          `Cannot read STUN USERNAME: ${attrLength} bytes exceed ${MAX_USERNAME_BYTES}`,
        );
      }
      return new TextDecoder("utf-8", { fatal: false }).decode(
        bytes.subarray(valueStart, valueStart + attrLength),
      );
    }
    offset = valueStart + ((attrLength + 3) & ~3);
  }
  return null;
}
