// The per-viewer egress loops of HTTP-FLV and WS-FLV (flv_routes.ts has the
// routes and the data-path description): on the origin's own server a direct
// body writes each shared batch straight to the socket (`pumpDirect`); under
// any other host the same batches go through a pull-based ReadableStream body
// (`httpBody`) or a Deno WebSocket (`serveWebSocket`).
import type { Context } from "hono";
import type { Subscription } from "../../src/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import type { DirectSink } from "./_direct_body.ts";
import type { FlvTagCache } from "./flv_tag_cache.ts";
import type { FlvRoutesOptions } from "./flv_routes.ts";
import type { PlayProtocol } from "./play_access.ts";

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

/** The next non-empty chunk for a viewer, or null once its subscription ended. */
async function nextChunk(
  sub: Subscription,
  cache: FlvTagCache,
): Promise<Uint8Array | null> {
  while (true) {
    await sub.ready();
    if (!sub.isClosed) await cache.nextFlush();
    let frames;
    try {
      frames = sub.takeAll();
    } catch {
      return null; // evicted: the kernel already reported it
    }
    if (frames.length === 0) {
      if (sub.isClosed) return null;
      continue;
    }
    const bytes = cache.batch(frames);
    if (bytes.length > 0) return bytes;
  }
}

/** The identity framing (HTTP-FLV writes the shared batch as it is). */
export const same = (bytes: Uint8Array): Uint8Array => bytes;

/**
 * The egress loop on the origin's own server: each batch is one write of the
 * shared bytes (framed once per batch for WebSocket). A write resolves when
 * the socket took the bytes, so a viewer that stops reading stops taking
 * frames; when the kernel evicts it the socket is closed, which ends a write
 * stuck on a full socket.
 */
export async function pumpDirect(
  sub: Subscription,
  first: Uint8Array[],
  cache: FlvTagCache,
  options: FlvRoutesOptions,
  sink: DirectSink,
  protocol: PlayProtocol,
  frame: (bytes: Uint8Array) => Uint8Array,
): Promise<void> {
  sub.closed.then((end) => {
    if (end.reason === "evicted") sink.abort();
  });
  sink.peerGone.then(() => sub.close("viewer left"));
  try {
    const opening = [...first];
    // The replay view pins its joined run (up to a GOP of bytes): drop it
    // from the shared list once taken, so a long-lived viewer holds nothing.
    first.length = 0;
    for (const bytes of opening) {
      if (bytes.length === 0) continue;
      await sink.write(frame(bytes));
      options.onBytesOut?.(protocol, bytes.length);
    }
    opening.length = 0;
    // nextChunk() inlined: one async frame per viewer, not one per batch.
    while (true) {
      await sub.ready();
      if (!sub.isClosed) await cache.nextFlush();
      let frames: MediaFrame[];
      try {
        frames = sub.takeAll();
      } catch {
        break; // evicted: the kernel already reported it
      }
      if (frames.length === 0) {
        if (sub.isClosed) break;
        continue;
      }
      const bytes = cache.batch(frames);
      if (bytes.length === 0) continue;
      await sink.write(frame(bytes));
      options.onBytesOut?.(protocol, bytes.length);
    }
  } catch {
    // the viewer's socket failed or was closed: the viewer is gone
  } finally {
    sub.close("stream ended");
  }
}

export function httpBody(
  sub: Subscription,
  first: Uint8Array[],
  cache: FlvTagCache,
  options: FlvRoutesOptions,
): ReadableStream<Uint8Array> {
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      if (!started) {
        started = true;
        for (const bytes of first) {
          if (bytes.length === 0) continue;
          controller.enqueue(bytes);
          options.onBytesOut?.("http-flv", bytes.length);
        }
        first.length = 0; // do not pin the replay's joined run
        return;
      }
      const bytes = await nextChunk(sub, cache);
      if (bytes === null) {
        sub.close("stream ended");
        controller.close();
        return;
      }
      controller.enqueue(bytes);
      options.onBytesOut?.("http-flv", bytes.length);
    },
    cancel(): void {
      sub.close("viewer left");
    },
  }, { highWaterMark: 0 });
}

export function serveWebSocket(
  c: Context,
  sub: Subscription,
  first: Uint8Array[],
  cache: FlvTagCache,
  options: FlvRoutesOptions,
): Response {
  let upgraded: { socket: WebSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(c.req.raw);
  } catch {
    sub.close("upgrade failed");
    return c.text("WebSocket upgrade failed", 400);
  }
  const { socket, response } = upgraded;
  socket.binaryType = "arraybuffer";
  socket.onclose = () => sub.close("viewer left");
  socket.onerror = () => sub.close("viewer socket error");
  socket.onopen = () => {
    void pumpWebSocket(socket, sub, first, cache, options);
  };
  return response;
}

async function pumpWebSocket(
  socket: WebSocket,
  sub: Subscription,
  first: Uint8Array[],
  cache: FlvTagCache,
  options: FlvRoutesOptions,
): Promise<void> {
  for (const bytes of first) {
    if (bytes.length === 0) continue;
    socket.send(bytes);
    options.onBytesOut?.("ws-flv", bytes.length);
  }
  first.length = 0; // do not pin the replay's joined run
  while (socket.readyState === WebSocket.OPEN && !sub.isClosed) {
    if (socket.bufferedAmount > MAX_WS_BUFFERED_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, WS_DRAIN_POLL_MS));
      continue;
    }
    const bytes = await nextChunk(sub, cache);
    if (bytes === null || socket.readyState !== WebSocket.OPEN) break;
    socket.send(bytes);
    options.onBytesOut?.("ws-flv", bytes.length);
  }
  sub.close("stream ended");
  if (socket.readyState === WebSocket.OPEN) socket.close(1000, "stream ended");
}
