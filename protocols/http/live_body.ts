/**
 * Live bodies: the one abstraction a live route (HTTP-FLV, WS-FLV) returns,
 * run by whichever host serves the request, so routes never know the host.
 *
 * A route builds a {@linkcode LiveBody} (`run(sink)`: write each shared
 * batch with `sink.write`, which resolves once the host took it) and returns
 * `liveResponse(request, body, init)`. Hosts:
 * - the origin's own HTTP/1.1 server (`server/`) marks its requests
 *   ({@linkcode markLiveHost}); their live responses carry the body
 *   ({@linkcode liveBodyOf}) and the server writes each batch straight to
 *   the socket (close-delimited bytes, or one WebSocket binary message per
 *   batch), with no stream or chunk framing in between;
 * - any other host (`Deno.serve`, `app.request()`, a user's server) gets a
 *   normal `Response`: for `"stream"` a pull-based `ReadableStream`
 *   (`highWaterMark: 0`: the kernel ring stays the only buffer), for
 *   `"websocket"` a `Deno.upgradeWebSocket` response whose socket the body
 *   writes to, pausing on the injected clock while `bufferedAmount` exceeds
 *   {@linkcode MAX_WS_BUFFERED_BYTES}.
 *
 * Memory: per viewer, the batch being written; nothing per chunk.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import type { Clock } from "../../src/clock.ts";

/**
 * Bytes a WebSocket viewer may have queued before the server stops taking
 * frames for it (the kernel then resyncs or evicts it): about two seconds of
 * a 4 Mb/s stream, enough to ride out a hiccup without hoarding memory.
 *
 * @example The limit
 * ```ts
 * import { MAX_WS_BUFFERED_BYTES } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_WS_BUFFERED_BYTES, 1 << 20);
 * ```
 */
export const MAX_WS_BUFFERED_BYTES = 1 << 20;

/** How often a stalled WebSocket viewer is re-checked, ms. */
const WS_DRAIN_POLL_MS = 25;

/** Where a live body writes (given by the host). */
export interface LiveSink {
  /** Write all of `bytes`; resolves once the host took them, rejects if the peer is gone. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * One write of `bytes` straight to the socket, if the host offers it:
   * resolves with how many bytes went out (fewer than `bytes.length` when
   * the socket took only part: the caller then writes the rest with
   * `write` before anything else). Saves the host's per-write promise.
   */
  writeSome?(bytes: Uint8Array): Promise<number>;
  /**
   * Write all of `bytes`, if the host offers it: `undefined` when the
   * socket took them all at once (no promise at all), else resolves once
   * the host took the rest (a failure throws or rejects). What an egress
   * pump writes with.
   */
  writeNow?(bytes: Uint8Array): Promise<void> | undefined;
  /** Close the connection now (a pending write rejects). */
  abort(): void;
  /**
   * Resolves when the peer closed its side or the connection failed. A
   * host that offers `writeSome` tells a departed peer by failing the next
   * write instead (its `peerGone` resolves only on `abort`).
   */
  readonly peerGone: Promise<void>;
}

/** A live body, run by the host that serves the response. */
export interface LiveBody {
  /**
   * "stream": an HTTP body without a length (close-delimited on the own
   * server); "websocket": answered with an upgrade, one binary message per write.
   */
  readonly kind: "stream" | "websocket";
  /** Write the body; the host closes the connection when it settles. */
  run(sink: LiveSink): Promise<void>;
  /** The host will never run it (upgrade impossible): release what it holds. */
  cancel(reason: string): void;
  /**
   * Every write is already a run of complete HTTP/1.1 chunks (RFC 9112
   * §7.1), so the host writes it as it is and adds only the last chunk.
   * Only for a request {@linkcode hostChunksLiveBody} says yes to.
   */
  readonly chunked?: boolean;
}

const LIVE_BODY: unique symbol = Symbol("arcly.http.liveBody");
type Marked = ReadableStream<Uint8Array> & { [LIVE_BODY]?: LiveBody };
const liveHosts = new WeakSet<Request>();
const chunkingHosts = new WeakSet<Request>();

/**
 * A host that runs live bodies itself (the own server) marks its requests;
 * `chunked`: it sends a stream body as HTTP/1.1 chunks.
 */
export function markLiveHost(request: Request, chunked = false): void {
  liveHosts.add(request);
  if (chunked) chunkingHosts.add(request);
}

/**
 * Whether the host of `request` sends a live stream body as HTTP/1.1
 * chunks and takes a body whose writes are already chunks
 * (`LiveBody.chunked`) as they are: a route can then frame each unit once
 * in its shared cache instead of the host framing (copying) every batch.
 */
export function hostChunksLiveBody(request: Request): boolean {
  return chunkingHosts.has(request);
}

/** The live body of a response from a marked request, if any. */
export function liveBodyOf(response: Response): LiveBody | undefined {
  const body = response.body as Marked | null;
  return body === null ? undefined : body[LIVE_BODY];
}

/**
 * The response of a live route, for whichever host serves `request` (see
 * the module doc).
 */
export function liveResponse(
  request: Request,
  body: LiveBody,
  init: { headers?: Record<string, string>; clock: Clock },
): Response {
  if (liveHosts.has(request)) {
    const placeholder = new ReadableStream<Uint8Array>() as Marked;
    placeholder[LIVE_BODY] = body;
    return new Response(placeholder, { headers: init.headers ?? {} });
  }
  if (body.kind === "stream") {
    return new Response(readableOf(body), { headers: init.headers ?? {} });
  }
  let upgraded: { socket: WebSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(request);
  } catch {
    body.cancel("upgrade failed");
    return new Response("WebSocket upgrade failed", { status: 400 });
  }
  runOnWebSocket(upgraded.socket, body, init.clock);
  return upgraded.response;
}

/** A pull-based stream over a live body: each write waits for the next read. */
function readableOf(body: LiveBody): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wake: (() => void) | undefined;
  let gone = false;
  let started = false;
  const peerGone = Promise.withResolvers<void>();
  const leave = (): void => {
    gone = true;
    peerGone.resolve();
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sink: LiveSink = {
    async write(bytes) {
      if (gone) throw new StreamError("Closed", "Cannot write: viewer gone");
      controller.enqueue(bytes);
      if ((controller.desiredSize ?? 0) <= 0) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      if (gone) throw new StreamError("Closed", "Cannot write: viewer gone");
    },
    abort() {
      leave();
      try {
        controller.error(new StreamError("Closed", "Cannot stream: aborted"));
      } catch { /* already closed */ }
    },
    peerGone: peerGone.promise,
  };
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      if (!started) {
        started = true;
        body.run(sink).finally(() => {
          if (gone) return;
          gone = true;
          try {
            controller.close();
          } catch { /* errored */ }
        });
        return;
      }
      const w = wake;
      wake = undefined;
      w?.();
    },
    cancel() {
      if (!started) body.cancel("viewer left");
      leave();
    },
  }, { highWaterMark: 0 });
}

/** Run a live body over a Deno WebSocket (back-pressure on the injected clock). */
function runOnWebSocket(socket: WebSocket, body: LiveBody, clock: Clock): void {
  socket.binaryType = "arraybuffer";
  const peerGone = Promise.withResolvers<void>();
  socket.onclose = () => peerGone.resolve();
  socket.onerror = () => peerGone.resolve();
  const sink: LiveSink = {
    async write(bytes) {
      // Stop taking frames while the socket holds too much.
      while (
        socket.readyState === WebSocket.OPEN &&
        socket.bufferedAmount > MAX_WS_BUFFERED_BYTES
      ) {
        await new Promise<void>((resolve) =>
          clock.setTimer(WS_DRAIN_POLL_MS, resolve)
        );
      }
      if (socket.readyState !== WebSocket.OPEN) {
        throw new StreamError("Closed", "Cannot write: WebSocket closed");
      }
      socket.send(bytes);
    },
    abort() {
      peerGone.resolve();
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    },
    peerGone: peerGone.promise,
  };
  socket.onopen = () => {
    body.run(sink).finally(() => {
      if (socket.readyState === WebSocket.OPEN) {
        socket.close(1000, "stream ended");
      }
    });
  };
}
