// The per-viewer egress loops of HTTP-FLV and WS-FLV (flv_routes.ts has the
// routes and the data-path description). Each is a short loop over the
// kernel's egress session (`for await (const bytes of session)`): on the
// origin's own server a direct body writes each shared batch straight to the
// socket (`pumpDirect`); under any other host the same batches go through a
// pull-based ReadableStream body (`httpBody`) or a Deno WebSocket
// (`serveWebSocket`, its back-pressure poll on the injected clock).
import type { Clock, EgressSession } from "../../src/mod.ts";
import type { DirectSink } from "./_direct_body.ts";

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

/** One viewer: its session, the opening chunks (file header, replay), a byte counter. */
export interface FlvViewer {
  session: EgressSession<Uint8Array>;
  /** Sent first; emptied once taken, so a long-lived viewer pins no replay run. */
  first: Uint8Array[];
  counted(bytes: number): void;
}

function* opening(viewer: FlvViewer): Generator<Uint8Array> {
  const first = [...viewer.first];
  viewer.first.length = 0;
  for (const bytes of first) if (bytes.length > 0) yield bytes;
}

/**
 * The egress loop on the origin's own server: each batch is one write of the
 * shared bytes (framed once per batch for WebSocket). A write resolves when
 * the socket took the bytes, so a viewer that stops reading stops taking
 * frames; when the kernel evicts it the socket is closed, which ends a write
 * stuck on a full socket.
 */
export async function pumpDirect(
  viewer: FlvViewer,
  sink: DirectSink,
  frame: (bytes: Uint8Array) => Uint8Array,
): Promise<void> {
  const { session } = viewer;
  session.subscription.closed.then((end) => {
    if (end.reason === "evicted") sink.abort();
  });
  sink.peerGone.then(() => session.close("viewer left"));
  try {
    for (const bytes of opening(viewer)) {
      await sink.write(frame(bytes));
      viewer.counted(bytes.length);
    }
    for await (const bytes of session) {
      await sink.write(frame(bytes));
      viewer.counted(bytes.length);
    }
  } catch {
    // the viewer's socket failed or was closed: the viewer is gone
  } finally {
    session.close("stream ended");
  }
}

/** A pull-based body (`highWaterMark: 0`: the kernel ring is the only buffer). */
export function httpBody(viewer: FlvViewer): ReadableStream<Uint8Array> {
  const { session } = viewer;
  const batches = session[Symbol.asyncIterator]();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      if (!started) {
        started = true;
        for (const bytes of opening(viewer)) {
          controller.enqueue(bytes);
          viewer.counted(bytes.length);
        }
        return;
      }
      const next = await batches.next();
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(next.value);
      viewer.counted(next.value.length);
    },
    cancel(): void {
      session.close("viewer left");
    },
  }, { highWaterMark: 0 });
}

/** WS-FLV under a host other than the origin's own server (Deno.upgradeWebSocket). */
export function serveWebSocket(
  request: Request,
  viewer: FlvViewer,
  clock: Clock,
): Response {
  const { session } = viewer;
  let upgraded: { socket: WebSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(request);
  } catch {
    session.close("upgrade failed");
    return new Response("WebSocket upgrade failed", { status: 400 });
  }
  const { socket, response } = upgraded;
  socket.binaryType = "arraybuffer";
  socket.onclose = () => session.close("viewer left");
  socket.onerror = () => session.close("viewer socket error");
  socket.onopen = () => void pumpWebSocket(socket, viewer, clock);
  return response;
}

async function pumpWebSocket(
  socket: WebSocket,
  viewer: FlvViewer,
  clock: Clock,
): Promise<void> {
  const { session } = viewer;
  const send = (bytes: Uint8Array): boolean => {
    if (socket.readyState !== WebSocket.OPEN) return false;
    socket.send(bytes);
    viewer.counted(bytes.length);
    return true;
  };
  try {
    for (const bytes of opening(viewer)) send(bytes);
    for await (const bytes of session) {
      // Back-pressure: stop taking frames while the socket holds too much.
      while (
        socket.readyState === WebSocket.OPEN &&
        socket.bufferedAmount > MAX_WS_BUFFERED_BYTES
      ) {
        await new Promise<void>((resolve) =>
          clock.setTimer(WS_DRAIN_POLL_MS, resolve)
        );
      }
      if (!send(bytes)) break;
    }
  } finally {
    session.close("stream ended");
    if (socket.readyState === WebSocket.OPEN) {
      socket.close(1000, "stream ended");
    }
  }
}
