// Direct bodies: how a live route (HTTP-FLV, WS-FLV) writes its shared batch
// bytes straight to the socket when the origin's own HTTP/1.1 server runs it,
// while staying a plain `Response` for any other host (Deno.serve, app.fetch
// in tests, a user's server).
//
// The route returns a normal Response whose body is a fallback
// ReadableStream, and registers a DirectBody for that stream object here
// (a symbol-keyed property on the stream object: no side table). The origin's server (http1_server.ts) looks the body up before
// reading it: when found, it writes the head, never reads the stream, and
// calls `run(sink)`, so each batch is one `conn.write` of the very bytes every
// viewer shares (no ReadableStream, no HTTP chunk framing, no per-viewer
// copy). Any other host reads the stream as usual. A route can tell which
// host runs it from the handler info: DIRECT_HOST is set on the info object
// the origin's server passes (Hono's `c.env`).

/** Set (true) on the handler info the origin's own HTTP server passes. */
export const DIRECT_HOST: unique symbol = Symbol("arcly.http.directHost");

/** Where a direct body writes. */
export interface DirectSink {
  /** Write all of `bytes`; resolves once handed to the socket, rejects if the peer is gone. */
  write(bytes: Uint8Array): Promise<void>;
  /** Close the connection now (a pending write rejects). */
  abort(): void;
  /** Resolves when the peer closed its side or the connection failed. */
  readonly peerGone: Promise<void>;
}

/** A live body written straight to the connection. */
export interface DirectBody {
  /**
   * "stream": the head goes out without a length and the body ends when the
   * connection closes (HTTP/1.1 close-delimited); "websocket": the server
   * answers the upgrade (101) and frames every write as one binary message.
   */
  kind: "stream" | "websocket";
  /** Write the body; the server closes the connection when it settles. */
  run(sink: DirectSink): Promise<void>;
}

const DIRECT_BODY: unique symbol = Symbol("arcly.http.directBody");

type Marked = ReadableStream<Uint8Array> & { [DIRECT_BODY]?: DirectBody };

/** Register `direct` for responses whose body is `stream`. */
export function registerDirectBody(
  stream: ReadableStream<Uint8Array>,
  direct: DirectBody,
): void {
  (stream as Marked)[DIRECT_BODY] = direct;
}

/** The direct body of a response, if its body stream was registered. */
export function directBodyOf(response: Response): DirectBody | undefined {
  const body = response.body as Marked | null;
  return body === null ? undefined : body[DIRECT_BODY];
}

/** True when the handler info comes from the origin's own server. */
export function isDirectHost(env: unknown): boolean {
  return typeof env === "object" && env !== null && DIRECT_HOST in env;
}
