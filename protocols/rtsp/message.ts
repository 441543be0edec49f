/**
 * RTSP message types (RFC 2326 §6–§7): requests, responses, headers, the
 * reader's bounds and the protocol error that carries the status to answer.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";

/**
 * Bounds for one connection's reader.
 *
 * @example
 * ```ts
 * import { DEFAULT_RTSP_LIMITS, type RtspLimits } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const limits: RtspLimits = { ...DEFAULT_RTSP_LIMITS, maxBodyBytes: 4096 };
 * assert.equal(limits.maxHeaders, 64);
 * ```
 */
export interface RtspLimits {
  /** Request/status line and headers, bytes. */
  maxHeadBytes: number;
  /** Header lines. */
  maxHeaders: number;
  /** Body (Content-Length), bytes. */
  maxBodyBytes: number;
}

/**
 * Default bounds: 8 KiB heads, 64 headers, 64 KiB bodies (an SDP is ~1 KiB).
 *
 * @example
 * ```ts
 * import { DEFAULT_RTSP_LIMITS } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_RTSP_LIMITS.maxHeadBytes, 8192);
 * ```
 */
export const DEFAULT_RTSP_LIMITS: Readonly<RtspLimits> = Object.freeze({
  maxHeadBytes: 8192,
  maxHeaders: 64,
  maxBodyBytes: 65536,
});

/**
 * A protocol violation, with the RTSP status to answer before closing.
 *
 * @example
 * ```ts
 * import { RtspProtocolError } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const e = new RtspProtocolError(454, "Cannot find session 12: no such session");
 * assert.equal(e.status, 454);
 * assert.equal(e.code, "Protocol");
 * ```
 */
export class RtspProtocolError extends StreamError {
  /** RTSP status code to answer. */
  readonly status: number;

  /**
   * Create an error answered with `status`.
   *
   * @param status the RTSP status to answer (400, 454, 461, …)
   * @param message "Cannot <action>: <why>"
   * @param code the stream error code; default `Protocol`
   */
  constructor(
    status: number,
    message: string,
    code: "Protocol" | "InvalidInput" | "LimitExceeded" | "Unsupported" =
      "Protocol",
  ) {
    super(code, message);
    this.name = "RtspProtocolError";
    this.status = status;
  }
}

/**
 * Ordered, case-insensitive RTSP headers.
 *
 * @example
 * ```ts
 * import { RtspHeaders } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const h = new RtspHeaders([["CSeq", "2"]]);
 * h.set("session", "abc");
 * assert.equal(h.get("cseq"), "2");
 * assert.equal(h.get("Session"), "abc");
 * ```
 */
export class RtspHeaders {
  #entries: [string, string][] = [];

  /**
   * Create headers.
   *
   * @param init name/value pairs, in order
   */
  constructor(init: Iterable<readonly [string, string]> = []) {
    for (const [n, v] of init) this.#entries.push([n, v]);
  }

  /**
   * The first value of a header.
   *
   * @param name header name (any case)
   * @returns the first value, or undefined
   */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [n, v] of this.#entries) {
      if (n.toLowerCase() === lower) return v;
    }
    return undefined;
  }

  /**
   * Every value of a header.
   *
   * @param name header name (any case)
   * @returns every value, in order
   */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.#entries.filter(([n]) => n.toLowerCase() === lower).map((
      [, v],
    ) => v);
  }

  /**
   * Replace every value of `name` with one.
   *
   * @param name header name
   * @param value its value
   */
  set(name: string, value: string): void {
    const lower = name.toLowerCase();
    this.#entries = this.#entries.filter(([n]) => n.toLowerCase() !== lower);
    this.#entries.push([name, value]);
  }

  /**
   * Add a value (repeated headers, e.g. WWW-Authenticate).
   *
   * @param name header name
   * @param value its value
   */
  append(name: string, value: string): void {
    this.#entries.push([name, value]);
  }

  /**
   * The header lines.
   *
   * @returns the pairs in order
   */
  entries(): [string, string][] {
    return this.#entries.map(([n, v]) => [n, v]);
  }

  /** Number of header lines. */
  get size(): number {
    return this.#entries.length;
  }
}

/**
 * A parsed RTSP request.
 *
 * @example
 * ```ts
 * import { type RtspRequest, RtspHeaders } from "@arcly/stream/rtsp";
 * const req: RtspRequest = { method: "OPTIONS", uri: "*", version: "RTSP/1.0",
 *   headers: new RtspHeaders([["CSeq", "1"]]), body: new Uint8Array(0) };
 * ```
 */
export interface RtspRequest {
  /** Method token (OPTIONS, DESCRIBE, …). */
  method: string;
  /** Request-URI (an absolute rtsp:// URL or `*`). */
  uri: string;
  /** "RTSP/1.0" or "RTSP/2.0". */
  version: string;
  /** Headers. */
  headers: RtspHeaders;
  /** Body (Content-Length bytes). */
  body: Uint8Array;
}

/**
 * A parsed RTSP response.
 *
 * @example
 * ```ts
 * import { type RtspResponse, RtspHeaders } from "@arcly/stream/rtsp";
 * const res: RtspResponse = { status: 200, reason: "OK",
 *   headers: new RtspHeaders([["CSeq", "1"]]), body: new Uint8Array(0) };
 * ```
 */
export interface RtspResponse {
  /** Status code. */
  status: number;
  /** Reason phrase. */
  reason: string;
  /** Headers. */
  headers: RtspHeaders;
  /** Body. */
  body: Uint8Array;
}

/**
 * One item read from an RTSP TCP stream.
 *
 * @example
 * ```ts
 * import type { RtspMessage } from "@arcly/stream/rtsp";
 * const m: RtspMessage = { type: "interleaved", channel: 0, payload: new Uint8Array(12) };
 * ```
 */
export type RtspMessage =
  | { type: "request"; request: RtspRequest }
  | { type: "response"; response: RtspResponse }
  | { type: "interleaved"; channel: number; payload: Uint8Array };
