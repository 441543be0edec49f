/**
 * What an accepted SRT connection does with the engine (internal):
 *
 * - publisher: received payloads (in order) → `MpegTsDemuxer.push` →
 *   `handle.publishFrame`; on close the demuxer is flushed and the stream
 *   ended (its own handle, so a replacing publisher is never ended).
 * - reader: the kernel's egress session (`JoinedEgress` over the stream's
 *   `SrtTsFormat`: each frame's TS packets built once per stream, each
 *   batch joined once and shared by every reader, on the stream's egress
 *   tick); the batch is cut into 1,316-byte payloads for this reader's
 *   connection (its own sequence numbers and encryption).
 *
 * Memory: the demuxer's PES buffers (bounded by the demuxer); per reader the
 * subscription cursor and the connection's bounded send buffer.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { MpegTsDemuxer } from "../../media/mpegts/mod.ts";
import type { StreamHandle } from "../../src/stream_handle.ts";
import type { EgressSession } from "../../src/egress.ts";
import type { SrtConnection } from "./connection.ts";
import { SRT_LIVE_PAYLOAD_BYTES } from "./packet.ts";

/** Publisher glue: returns the `deliver` callback and the close hook. */
export function publisherSink(
  handle: StreamHandle,
  closeConnection: (reason: string) => void,
): { deliver: (payload: Uint8Array) => void; end: (reason: string) => void } {
  const demuxer = new MpegTsDemuxer();
  let live = true;
  const publish = (frames: MediaFrame[]): void => {
    for (const frame of frames) {
      if (!live) return;
      try {
        handle.publishFrame(frame);
      } catch {
        live = false; // stream ended or replaced
        closeConnection("stream ended");
      }
    }
  };
  return {
    deliver(payload) {
      if (live) publish(demuxer.push(payload));
    },
    end(reason) {
      if (live) {
        try {
          publish(demuxer.flush());
        } catch { /* a truncated tail */ }
      }
      live = false;
      if (!handle.ended) handle.end(reason);
    },
  };
}

/** Cut TS bytes into live payloads and send them. */
export function sendTs(
  conn: SrtConnection,
  bytes: Uint8Array,
  now: number,
): void {
  for (let at = 0; at < bytes.length; at += SRT_LIVE_PAYLOAD_BYTES) {
    conn.sendPayload(bytes.subarray(at, at + SRT_LIVE_PAYLOAD_BYTES), now);
  }
}

/**
 * Reader loop: the shared TS batches of the kernel's egress session, cut
 * into this reader's SRT packets, until the stream, the session or the
 * connection ends.
 *
 * @returns why it ended
 */
export async function runReader(
  session: EgressSession<Uint8Array>,
  conn: SrtConnection,
  now: () => number,
): Promise<string> {
  for await (const bytes of session) {
    if (conn.closed) break;
    sendTs(conn, bytes, now());
  }
  if (conn.closed) return "reader left";
  const end = await session.subscription.closed;
  return end.reason === "ended"
    ? "stream ended"
    : `${end.reason}: ${end.detail ?? ""}`;
}
