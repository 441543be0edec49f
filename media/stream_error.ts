/**
 * {@linkcode StreamError}: the one public error type callers branch on, with a
 * stable {@linkcode StreamErrorCode}.
 *
 * It lives in `media/` (the leaf layer) so that parsers can throw it; the
 * kernel and protocols re-export it.
 *
 * @module
 */

/**
 * Stable error codes. Callers branch on `error.code`, never on the message.
 *
 * @example
 * ```ts
 * import type { StreamErrorCode } from "@arcly/stream";
 * const code: StreamErrorCode = "NotFound";
 * ```
 */
export type StreamErrorCode =
  /** The authenticator refused the request. */
  | "Unauthorized"
  /** No such stream (or file, or segment). */
  | "NotFound"
  /** The key already has a live publisher. */
  | "AlreadyPublishing"
  /** A plain subscriber fell behind the ring and lost frames. */
  | "Lagged"
  /** A subscriber was removed (too slow, shutdown, stream replaced). */
  | "Evicted"
  /** A configured limit (connections, subscribers, sizes) was reached. */
  | "LimitExceeded"
  /** Malformed or truncated input (bitstreams, containers, keys, protocol bytes). */
  | "InvalidInput"
  /** The stream, subscription or engine is closed. */
  | "Closed"
  /** An operation did not finish in time. */
  | "Timeout"
  /** Valid input that this library does not support (the message lists what is). */
  | "Unsupported"
  /** A storage backend failed (disk full, permission, I/O). */
  | "Storage"
  /** A network peer broke the protocol. */
  | "Protocol"
  /** A service the operation depends on (a cluster directory, an origin) cannot be reached now; retry later. */
  | "Unavailable";

/**
 * Options for {@linkcode StreamError}.
 *
 * @example
 * ```ts
 * import { StreamError } from "@arcly/stream";
 * const error = new StreamError("Storage", "Cannot write seg1.ts: disk full", { cause: new Error("ENOSPC") });
 * ```
 */
export interface StreamErrorOptions {
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The public error type of arcly-stream. Messages follow the form
 * "Cannot <action>: <state>".
 *
 * @example Branch on the code
 * ```ts
 * import { StreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const error = new StreamError("NotFound", "Cannot play live/cam: no such stream");
 * assert.ok(error instanceof StreamError);
 * assert.equal(error.code, "NotFound");
 * ```
 */
export class StreamError extends Error {
  /** The stable code to branch on. */
  readonly code: StreamErrorCode;

  /**
   * Create an error with a stable code.
   *
   * @param code the stable code
   * @param message "Cannot <action>: <state>"
   * @param options the cause, if any
   */
  constructor(
    code: StreamErrorCode,
    message: string,
    options?: StreamErrorOptions,
  ) {
    super(
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "StreamError";
    this.code = code;
  }
}

/**
 * A {@linkcode StreamError} with code `InvalidInput` raised by a parser, carrying
 * where in the input it stopped.
 *
 * @example
 * ```ts
 * import { BitstreamError, StreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const error = new BitstreamError("Cannot read 8 bits: 3 bits remain", { byteOffset: 4 });
 * assert.ok(error instanceof StreamError);
 * assert.equal(error.code, "InvalidInput");
 * assert.equal(error.byteOffset, 4);
 * ```
 */
export class BitstreamError extends StreamError {
  /** Byte offset in the input where parsing stopped. */
  readonly byteOffset: number;

  /**
   * Create a parser error at `options.byteOffset`.
   *
   * @param message "Cannot <action>: <state>"
   * @param options the byte offset and cause
   */
  constructor(
    message: string,
    options: { byteOffset: number; cause?: unknown },
  ) {
    super(
      "InvalidInput",
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "BitstreamError";
    this.byteOffset = options.byteOffset;
  }
}
