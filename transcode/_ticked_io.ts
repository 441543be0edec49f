// The ticked sockets of a ladder run (`ladderOutput: "ticked"`): ffmpeg's
// input and each rendition's output are libc TCP sockets on 127.0.0.1
// (protocols/net FfiTcpSocket) that no epoll watches once accepted, so
// ffmpeg's writes (one per encoded packet) and the input's write space never
// wake our event loop. The run's IoTick wakes it instead, once per
// interval: each output is read until EAGAIN, the input's pending tail is
// sent. The listeners use their epoll for the one accept each, then close.
//
// Data path: an output's bytes are read by the kernel straight into the
// free tail of its FlvTagSlab page (the slab's invariants: bytes handed out
// are never written again, pages never reused); a drain is bounded by
// MAX_READS_PER_DRAIN reads, the rest waits for the next drain (at once,
// no tick in between). The input's bytes are the StdinFeeder's batch (its
// one reused write buffer): sent at once as frames come, synchronously; on
// EAGAIN the unsent tail stays in that buffer (bounded by the feeder's
// maxQueueBytes: the feeder does not reuse it before the write resolves)
// and is sent on the next tick. Nothing is queued here.
import type { MediaFrame } from "../media/frame.ts";
import {
  FfiTcpListener,
  type FfiTcpSocket,
  tcpFfiAvailable,
  TRY_AGAIN,
} from "../protocols/net/mod.ts";
import type { FlvTagSlab } from "./_flv_tag_slab.ts";

/** Reads of one drain at most (each fills at least 8 KiB of a slab page). */
export const MAX_READS_PER_DRAIN = 64;

/** True when ticked sockets can work here (Linux with `--allow-ffi`). */
export function tickedAvailable(): boolean {
  return tcpFfiAvailable();
}

/** One FFI listener per socket of a run (outputs, then the input), on 127.0.0.1 port 0. */
export class TickedListeners {
  readonly urls: string[] = [];
  #listeners: FfiTcpListener[] = [];
  #closed = false;

  constructor(count: number) {
    try {
      for (let i = 0; i < count; i++) {
        const l = FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 });
        this.#listeners.push(l);
        this.urls.push(`tcp://127.0.0.1:${l.addr.port}`);
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The one connection of listener `i` (off its epoll). */
  accept(i: number): Promise<FfiTcpSocket> {
    return this.#listeners[i]!.acceptUnwatched();
  }

  /** Close every listener (a pending accept rejects); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const l of this.#listeners) {
      try {
        l.close();
      } catch { /* closed already */ }
    }
  }
}

/**
 * The feeder's writer over a ticked socket: sends at once; what the socket
 * does not take is sent after `pace()` (the next tick), until all of it is.
 * Rejects with the socket's error (ffmpeg gone, or the run closed it).
 */
export function tickedWriter(
  socket: FfiTcpSocket,
  pace: () => Promise<void>,
): { write(chunk: Uint8Array): Promise<void> } {
  return {
    write: async (chunk: Uint8Array): Promise<void> => {
      let at = 0;
      for (;;) {
        const n = socket.trySend(chunk.subarray(at));
        if (n > 0) at += n;
        if (at >= chunk.length) return;
        await pace();
      }
    },
  };
}

/** How a drain ended: nothing more now, the end of the stream, or its read bound. */
export type DrainEnd = "again" | "eof" | "more";

/**
 * Read `socket` into `slab` until EAGAIN, EOF (or a socket error, which ends
 * it like EOF: ffmpeg's exit status tells why) or MAX_READS_PER_DRAIN reads;
 * the frames of the tags completed go to `out`.
 *
 * @throws what `FlvTagSlab.commit` throws (bad FLV from ffmpeg)
 */
export function drainTicked(
  socket: FfiTcpSocket,
  slab: FlvTagSlab,
  out: MediaFrame[],
): DrainEnd {
  for (let reads = 0; reads < MAX_READS_PER_DRAIN; reads++) {
    let n: number;
    try {
      n = socket.tryRead(slab.space());
    } catch {
      return "eof";
    }
    if (n === TRY_AGAIN) return "again";
    if (n === 0) return "eof";
    for (const frame of slab.commit(n)) out.push(frame);
  }
  return "more";
}
