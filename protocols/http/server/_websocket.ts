// The server side of RFC 6455 that WebSocket-FLV needs on the origin's own
// HTTP/1.1 server: the opening handshake, unmasked binary frames out, and a
// bounded reader for what a client sends (close, ping, pong; data frames are
// skipped without being buffered, since a WS-FLV viewer has nothing to say).
import { StreamError } from "../../../media/stream_error.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
export async function acceptKeyOf(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(key + GUID),
  );
  let binary = "";
  for (const b of new Uint8Array(digest)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** True when `key` is a valid `Sec-WebSocket-Key` (16 bytes, base64). */
export function isWebSocketKey(key: string | null): key is string {
  return key !== null && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

/** Opcodes (RFC 6455 §5.2). */
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** One unmasked, final frame carrying `payload` (header and payload joined). */
export function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const headLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(headLength + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  out.set(payload, headLength);
  return out;
}

/** A close frame with a status code (RFC 6455 §5.5.1). */
export function closeFrame(code: number): Uint8Array {
  return encodeFrame(OP_CLOSE, new Uint8Array([code >>> 8, code & 0xff]));
}

/** A control frame the client sent (data frames are skipped). */
export interface ControlFrame {
  opcode: number;
  payload: Uint8Array;
}

/** Largest control payload (RFC 6455 §5.5). */
const MAX_CONTROL_PAYLOAD = 125;

/**
 * Incremental reader of client frames: `push()` bytes as they arrive and get
 * the control frames completed so far. Memory is bounded by one control frame
 * (≤ 14 header + 125 payload bytes); data payloads are counted down, not kept.
 */
export class ClientFrameReader {
  #head = new Uint8Array(14);
  #headLength = 0;
  #skip = 0; // data payload bytes still to discard
  #control: {
    opcode: number;
    mask: Uint8Array;
    payload: Uint8Array;
    at: number;
  } | null = null;

  /**
   * @returns control frames completed by these bytes
   * @throws {StreamError} `Protocol` for an unmasked frame, a fragmented or oversized control frame
   */
  push(bytes: Uint8Array): ControlFrame[] {
    const out: ControlFrame[] = [];
    let i = 0;
    while (i < bytes.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, bytes.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      const c = this.#control;
      if (c !== null) {
        while (i < bytes.length && c.at < c.payload.length) {
          c.payload[c.at] = bytes[i]! ^ c.mask[c.at & 3]!;
          c.at++;
          i++;
        }
        if (c.at === c.payload.length) {
          out.push({ opcode: c.opcode, payload: c.payload });
          this.#control = null;
        }
        continue;
      }
      this.#head[this.#headLength++] = bytes[i++]!;
      const need = this.#needed();
      if (need > this.#headLength) continue;
      this.#startFrame(out);
    }
    return out;
  }

  /** Header bytes needed given what has arrived so far. */
  #needed(): number {
    if (this.#headLength < 2) return 2;
    const len7 = this.#head[1]! & 0x7f;
    const masked = (this.#head[1]! & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  #startFrame(out: ControlFrame[]): void {
    const h = this.#head;
    const fin = (h[0]! & 0x80) !== 0;
    const opcode = h[0]! & 0x0f;
    if ((h[1]! & 0x80) === 0) {
      throw new StreamError(
        "Protocol",
        "Cannot read WebSocket frame: client frames must be masked",
      );
    }
    const len7 = h[1]! & 0x7f;
    let length: number;
    let at = 2;
    if (len7 === 126) {
      length = (h[2]! << 8) | h[3]!;
      at = 4;
    } else if (len7 === 127) {
      const big = new DataView(h.buffer, 2, 8).getBigUint64(0);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new StreamError(
          "Protocol",
          "Cannot read WebSocket frame: length out of range",
        );
      }
      length = Number(big);
      at = 10;
    } else length = len7;
    const mask = h.slice(at, at + 4);
    this.#headLength = 0;
    if (opcode >= 0x8) {
      if (!fin || length > MAX_CONTROL_PAYLOAD) {
        throw new StreamError(
          "Protocol",
          "Cannot read WebSocket frame: control frames must be final and at most 125 bytes",
        );
      }
      if (length === 0) out.push({ opcode, payload: new Uint8Array(0) });
      else {this.#control = {
          opcode,
          mask,
          payload: new Uint8Array(length),
          at: 0,
        };}
      return;
    }
    this.#skip = length;
  }
}
