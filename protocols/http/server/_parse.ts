// HTTP/1.1 request-head parser for the origin's own server (RFC 9112 §2–§6).
//
// Pure and bounded: it looks at most `maxHeadBytes` bytes, never allocates
// more than the head it returns, and answers "need more bytes" (null) or a
// parsed head, or throws a StreamError carrying the status to answer with.
// What it refuses, on purpose (request smuggling and slowloris hygiene):
// obsolete line folding, control characters in the target or a value,
// whitespace before a header's colon, a Content-Length that is not one
// decimal number (or differs between repeats), Transfer-Encoding together
// with Content-Length, any HTTP version but 1.0 and 1.1, heads over the
// byte or header-count limit. Bare LF line ends are accepted (RFC 9112 §2.2).
import { StreamError } from "../../../media/stream_error.ts";

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** The request target as sent (origin-form or absolute-form). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion: 0 | 1;
  /** Header fields in order; names lower-cased, values trimmed. */
  headers: [string, string][];
  /** Bytes of the head, terminator included: the body starts here. */
  headBytes: number;
  /** The body length from Content-Length (0 when absent). */
  contentLength: number;
  /** True when the request carries a Transfer-Encoding header. */
  chunked: boolean;
  /** Whether the connection may serve another request after this one. */
  keepAlive: boolean;
}

/** A refusal with the HTTP status to answer before closing. */
export class HeadError extends StreamError {
  /** 400, 413, 431, 501 or 505. */
  readonly status: number;

  constructor(status: number, message: string) {
    super(
      status === 431 || status === 413 ? "LimitExceeded" : "Protocol",
      message,
    );
    this.status = status;
  }
}

const LF = 0x0a;
const CR = 0x0d;

// tchar (RFC 9110 §5.6.2): ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/**
 * Where the head ends (index after the blank line), or -1 if it has not
 * ended within the first `limit` bytes of `buf[0, length)`.
 */
export function headEnd(buf: Uint8Array, length: number, from = 0): number {
  for (let i = Math.max(from, 1); i < length; i++) {
    if (buf[i] !== LF) continue;
    if (buf[i - 1] === LF) return i + 1;
    if (buf[i - 1] === CR && i >= 2 && buf[i - 2] === LF) return i + 1;
  }
  return -1;
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Visible ASCII, SP, HTAB and obs-text (RFC 9110 §5.5); no CTLs. */
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

function isTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Parse the head at the start of `buf[0, length)`.
 *
 * @returns the head, or null when more bytes are needed
 * @throws {HeadError} for a malformed or oversized head
 */
export function parseRequestHead(
  buf: Uint8Array,
  length: number,
  limits: { maxHeadBytes: number; maxHeaders: number },
): RequestHead | null {
  // Skip empty lines before a request (RFC 9112 §2.2: SHOULD ignore one).
  let start = 0;
  while (
    start < length && start < 4 && (buf[start] === CR || buf[start] === LF)
  ) {
    start++;
  }
  const end = headEnd(buf, Math.min(length, limits.maxHeadBytes), start);
  if (end < 0) {
    checkPartialHead(buf, start, Math.min(length, limits.maxHeadBytes));
    if (length >= limits.maxHeadBytes) {
      throw new HeadError(
        431,
        `Cannot parse request: head longer than ${limits.maxHeadBytes} bytes`,
      );
    }
    return null;
  }
  // latin1: every byte maps to one code unit, so checks are per byte.
  let text = "";
  for (let i = start; i < end; i += 4096) {
    text += String.fromCharCode(...buf.subarray(i, Math.min(end, i + 4096)));
  }
  const lines = text.split("\n");
  const requestLine = stripCr(lines[0] ?? "");
  const parts = requestLine.split(" ");
  if (parts.length !== 3) {
    throw new HeadError(
      400,
      "Cannot parse request line: expected method, target and version",
    );
  }
  const [method, target, version] = parts as [string, string, string];
  if (!isToken(method)) {
    throw new HeadError(400, "Cannot parse request line: bad method");
  }
  if (!isTarget(target)) {
    throw new HeadError(400, "Cannot parse request line: bad target");
  }
  let minorVersion: 0 | 1;
  if (version === "HTTP/1.1") minorVersion = 1;
  else if (version === "HTTP/1.0") minorVersion = 0;
  else if (/^HTTP\/\d\.\d$/.test(version)) {
    throw new HeadError(505, `Cannot serve ${version}: only HTTP/1.0 and 1.1`);
  } else throw new HeadError(400, "Cannot parse request line: bad version");

  const headers: [string, string][] = [];
  let contentLength = -1;
  let chunked = false;
  let connection = "";
  // lines: request line, fields..., "" (blank), "" (after the final LF)
  for (let i = 1; i < lines.length - 2; i++) {
    const line = stripCr(lines[i]!);
    if (line.length === 0) break;
    if (line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09) {
      throw new HeadError(400, "Cannot parse header: obsolete line folding");
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HeadError(400, "Cannot parse header: no name");
    const name = line.slice(0, colon);
    if (!isToken(name)) {
      throw new HeadError(400, "Cannot parse header: bad field name");
    }
    const value = line.slice(colon + 1).trim();
    if (!isFieldValue(value)) {
      throw new HeadError(
        400,
        "Cannot parse header: control character in value",
      );
    }
    if (headers.length >= limits.maxHeaders) {
      throw new HeadError(
        431,
        `Cannot parse request: more than ${limits.maxHeaders} header fields`,
      );
    }
    const lower = name.toLowerCase();
    headers.push([lower, value]);
    if (lower === "content-length") {
      if (!/^\d{1,15}$/.test(value)) {
        throw new HeadError(400, "Cannot parse Content-Length");
      }
      const n = Number(value);
      if (contentLength >= 0 && contentLength !== n) {
        throw new HeadError(
          400,
          "Cannot parse request: conflicting Content-Length",
        );
      }
      contentLength = n;
    } else if (lower === "transfer-encoding") {
      chunked = true;
    } else if (lower === "connection") {
      connection += `,${value.toLowerCase()}`;
    }
  }
  if (chunked && contentLength >= 0) {
    throw new HeadError(
      400,
      "Cannot parse request: both Transfer-Encoding and Content-Length",
    );
  }
  const tokens = connection.split(",").map((t) => t.trim());
  const keepAlive = minorVersion === 1
    ? !tokens.includes("close")
    : tokens.includes("keep-alive");
  return {
    method,
    target,
    minorVersion,
    headers,
    headBytes: end,
    contentLength: Math.max(contentLength, 0),
    chunked,
    keepAlive,
  };
}

const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e]; // "HTTP/1."

/**
 * Refuse an incomplete head as soon as what has arrived cannot start a valid
 * one (garbage is answered at once, not after the head deadline).
 *
 * @throws {HeadError} 400 for bytes no valid request head starts with
 */
function checkPartialHead(
  buf: Uint8Array,
  start: number,
  length: number,
): void {
  const bad = (what: string): never => {
    throw new HeadError(400, `Cannot parse request: ${what}`);
  };
  let i = start;
  // method
  const methodStart = i;
  while (i < length && buf[i] !== SP) {
    const c = buf[i]!;
    if (c >= 128 || TCHAR[c] === 0) bad("bad method");
    if (i - methodStart >= 32) bad("method too long");
    i++;
  }
  if (i >= length) return;
  if (i === methodStart) bad("empty method");
  i++; // SP
  // target
  const targetStart = i;
  while (i < length && buf[i] !== SP) {
    const c = buf[i]!;
    if (c <= SP || c >= 0x7f) bad("bad target");
    i++;
  }
  if (i >= length) return;
  if (i === targetStart) bad("empty target");
  i++;
  // version: "HTTP/1." DIGIT, then CRLF or LF
  for (let k = 0; k < VERSION_PREFIX.length + 1 && i < length; k++, i++) {
    const c = buf[i]!;
    if (
      k < VERSION_PREFIX.length ? c !== VERSION_PREFIX[k] : c < 0x30 || c > 0x39
    ) {
      bad("bad version");
    }
  }
  if (i < length && buf[i] === CR) i++;
  if (i >= length) return;
  if (buf[i] !== LF) bad("bad request line end");
  i++;
  // header lines so far
  while (i < length) {
    if (buf[i] === SP || buf[i] === HTAB) bad("obsolete line folding");
    let colon = false;
    for (; i < length && buf[i] !== LF; i++) {
      const c = buf[i]!;
      if (!colon) {
        if (c === COLON) colon = true;
        else if (c === CR && (i + 1 === length || buf[i + 1] === LF)) continue;
        else if (c >= 128 || TCHAR[c] === 0) bad("bad field name");
      } else if ((c < SP && c !== HTAB && c !== CR) || c === 0x7f) {
        bad("control character in field value");
      }
    }
    if (i >= length) return;
    i++; // LF: a complete line (an empty one would have ended the head)
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
