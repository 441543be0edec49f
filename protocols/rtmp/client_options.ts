/**
 * {@linkcode RtmpClientOptions}: time limits, TLS trust and handshake form of
 * an `RtmpClient` connection.
 *
 * @module
 */
import type { Amf0Object } from "../../media/flv/mod.ts";

/**
 * Options for {@linkcode RtmpClient.connect}.
 *
 * @example
 * ```ts
 * import type { RtmpClientOptions } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: RtmpClientOptions = { timeoutMs: 5000, chunkSize: 4096 };
 * assert.equal(options.chunkSize, 4096);
 * ```
 */
export interface RtmpClientOptions {
  /** Time limit for the TCP connect, handshake and each command; default 10 s. */
  timeoutMs?: number;
  /** Outgoing chunk size; default 60000. */
  chunkSize?: number;
  /** CA certificates (PEM) for `rtmps://` servers with private CAs. */
  caCerts?: string[];
  /** Send a digest C1 (Flash Player style); default true. */
  digestHandshake?: boolean;
  /** Extra properties for the connect command object. */
  connectProperties?: Amf0Object;
  /** Aborting closes the connection. */
  signal?: AbortSignal;
}
