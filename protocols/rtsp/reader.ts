/**
 * RTSP messages on a TCP stream (RFC 2326 §6–§7, §10.12; RFC 7826 §8, §14
 * where 1.0 is silent): requests, responses and interleaved binary frames
 * (`$`, channel, 16-bit length, payload) read from one byte stream by
 * {@linkcode RtspReader}.
 *
 * Data path: socket reads are appended to one bounded buffer; a complete
 * message is cut out of it (bodies and interleaved payloads are copied out,
 * so the buffer can be compacted and reused). Memory: at most
 * `maxHeadBytes + maxBodyBytes` (or one 64 KiB interleaved frame) buffered
 * per connection; anything larger is a {@linkcode RtspProtocolError} that
 * carries the status to answer (400, 413, 505) before closing.
 *
 * @module
 */
import {
  DEFAULT_RTSP_LIMITS,
  RtspHeaders,
  type RtspLimits,
  type RtspMessage,
  RtspProtocolError,
} from "./message.ts";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const decoder = new TextDecoder("latin1");

/**
 * Incremental reader of one RTSP byte stream (see the module doc).
 *
 * @example Read a request and an interleaved frame
 * ```ts
 * import { RtspReader } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const reader = new RtspReader();
 * reader.push(new TextEncoder().encode("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"));
 * reader.push(new Uint8Array([0x24, 1, 0, 2, 0xaa, 0xbb]));
 * const first = reader.next();
 * assert.equal(first?.type === "request" && first.request.method, "OPTIONS");
 * const second = reader.next();
 * assert.equal(second?.type === "interleaved" && second.channel, 1);
 * assert.equal(reader.next(), null);
 * ```
 */
export class RtspReader {
  #limits: RtspLimits;
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  #capacity: number;

  /**
   * Create a reader for one connection.
   *
   * @param limits bounds (default {@linkcode DEFAULT_RTSP_LIMITS})
   */
  constructor(limits: Partial<RtspLimits> = {}) {
    this.#limits = { ...DEFAULT_RTSP_LIMITS, ...limits };
    this.#capacity = Math.max(
      this.#limits.maxHeadBytes + this.#limits.maxBodyBytes,
      4 + 65535,
    );
    this.#buf = new Uint8Array(Math.min(4096, this.#capacity));
  }

  /** Bytes buffered and not yet returned. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Append bytes read from the socket.
   *
   * @param bytes the read (copied in)
   * @throws {RtspProtocolError} 400 when the buffer would exceed its bound
   */
  push(bytes: Uint8Array): void {
    const need = this.#end - this.#start + bytes.length;
    if (need > this.#capacity) {
      throw new RtspProtocolError(
        400,
        `Cannot buffer RTSP input: more than ${this.#capacity} bytes pending`,
        "LimitExceeded",
      );
    }
    if (this.#end + bytes.length > this.#buf.length) {
      const len = this.#end - this.#start;
      let size = this.#buf.length;
      while (size < need) size *= 2;
      size = Math.min(size, this.#capacity);
      if (size > this.#buf.length) {
        const next = new Uint8Array(size);
        next.set(this.#buf.subarray(this.#start, this.#end), 0);
        this.#buf = next;
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = len;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /**
   * The next complete item, or null when more bytes are needed.
   *
   * @returns a request, response or interleaved frame
   * @throws {RtspProtocolError} on malformed input (the connection must close)
   */
  next(): RtspMessage | null {
    const avail = this.#end - this.#start;
    if (avail === 0) return null;
    const b = this.#buf;
    const s = this.#start;
    if (b[s] === 0x24) {
      if (avail < 4) return null;
      const len = (b[s + 2]! << 8) | b[s + 3]!;
      if (avail < 4 + len) return null;
      const payload = b.slice(s + 4, s + 4 + len);
      this.#consume(4 + len);
      return { type: "interleaved", channel: b[s + 1]!, payload };
    }
    // Tolerate empty lines between messages (RFC 7826 §8).
    if (b[s] === 0x0d || b[s] === 0x0a) {
      this.#consume(1);
      return this.next();
    }
    const headEnd = findHeadEnd(b, s, this.#end, this.#limits.maxHeadBytes);
    if (headEnd < 0) {
      if (avail >= this.#limits.maxHeadBytes) {
        throw new RtspProtocolError(
          400,
          `Cannot read RTSP head: longer than ${this.#limits.maxHeadBytes} bytes`,
          "LimitExceeded",
        );
      }
      if (avail >= 8 && !looksLikeStart(b, s)) {
        throw new RtspProtocolError(
          400,
          "Cannot read RTSP message: not a request, response or interleaved frame",
          "InvalidInput",
        );
      }
      return null;
    }
    const head = parseHead(
      decoder.decode(b.subarray(s, headEnd)),
      this.#limits,
    );
    const bodyStart = headEnd + headTerminatorLength(b, headEnd);
    const length = contentLength(head.headers, this.#limits.maxBodyBytes);
    if (this.#end - bodyStart < length) return null;
    const body = b.slice(bodyStart, bodyStart + length);
    this.#consume(bodyStart + length - s);
    if (head.kind === "response") {
      return {
        type: "response",
        response: {
          status: head.status,
          reason: head.reason,
          headers: head.headers,
          body,
        },
      };
    }
    return {
      type: "request",
      request: {
        method: head.method,
        uri: head.uri,
        version: head.version,
        headers: head.headers,
        body,
      },
    };
  }

  #consume(n: number): void {
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }
}

function looksLikeStart(b: Uint8Array, s: number): boolean {
  // A method token or "RTSP/" followed by a space within the first bytes.
  for (let i = s; i < s + 8 && i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x20) return i > s;
    if (!(c >= 0x41 && c <= 0x5a) && c !== 0x5f && c !== 0x2d && c !== 0x2f) {
      if (
        !(c >= 0x30 && c <= 0x39) && c !== 0x2e && !(c >= 0x61 && c <= 0x7a)
      ) {
        return false;
      }
    }
  }
  return true;
}

/** Index of the blank line ending the head ("\r\n\r\n" or "\n\n"), or -1. */
function findHeadEnd(
  b: Uint8Array,
  start: number,
  end: number,
  max: number,
): number {
  const stop = Math.min(end, start + max);
  for (let i = start; i < stop; i++) {
    if (b[i] !== 0x0a) continue;
    if (i + 1 < end && b[i + 1] === 0x0a) return i;
    if (i + 2 < end && b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i;
  }
  return -1;
}

function headTerminatorLength(b: Uint8Array, at: number): number {
  return b[at + 1] === 0x0a ? 2 : 3;
}

type Head =
  | {
    kind: "request";
    method: string;
    uri: string;
    version: string;
    headers: RtspHeaders;
  }
  | { kind: "response"; status: number; reason: string; headers: RtspHeaders };

function bad(why: string, status = 400): RtspProtocolError {
  return new RtspProtocolError(
    status,
    `Cannot parse RTSP message: ${why}`,
    "InvalidInput",
  );
}

function parseHead(text: string, limits: RtspLimits): Head {
  const lines = text.split("\n").map((l) =>
    l.endsWith("\r") ? l.slice(0, -1) : l
  );
  const first = lines[0] ?? "";
  const headers = new RtspHeaders();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    if (headers.size >= limits.maxHeaders) {
      throw new RtspProtocolError(
        400,
        `Cannot parse RTSP message: more than ${limits.maxHeaders} headers`,
        "LimitExceeded",
      );
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw bad("a header line without a name");
    const name = line.slice(0, colon).trim();
    if (!TOKEN.test(name)) throw bad("an invalid header name");
    headers.append(name, line.slice(colon + 1).trim());
  }
  if (first.startsWith("RTSP/")) {
    const m = /^(RTSP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
    if (m === null) throw bad("a malformed status line");
    return {
      kind: "response",
      status: Number(m[2]),
      reason: m[3] ?? "",
      headers,
    };
  }
  const parts = first.split(" ");
  if (parts.length !== 3) throw bad("a malformed request line");
  const [method, uri, version] = parts as [string, string, string];
  if (!TOKEN.test(method) || method.length > 32) {
    throw bad("an invalid method");
  }
  if (uri.length === 0 || hasControl(uri)) {
    throw bad("an invalid request URI");
  }
  if (version !== "RTSP/1.0" && version !== "RTSP/2.0") {
    throw bad(`version ${JSON.stringify(version.slice(0, 16))}`, 505);
  }
  return { kind: "request", method, uri, version, headers };
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

function contentLength(headers: RtspHeaders, max: number): number {
  const v = headers.get("content-length");
  if (v === undefined) return 0;
  if (!/^\d{1,10}$/.test(v)) throw bad("an invalid Content-Length");
  const n = Number(v);
  if (n > max) {
    throw new RtspProtocolError(
      413,
      `Cannot read RTSP body: ${n} bytes exceed ${max}`,
      "LimitExceeded",
    );
  }
  return n;
}
