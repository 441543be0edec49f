// Live bodies on the origin's HTTP/1.1 server (see ../live_body.ts):
// after the head, the connection belongs to the body's `run(sink)`.
//
// HTTP/1.1: a chunked body (RFC 9112 §7.1): a body that frames its units
// as chunks itself (`LiveBody.chunked`, HTTP-FLV: each tag one chunk in the
// stream's shared cache) is written as it is; any other has each shared
// batch framed once as one chunk for every viewer (a WeakMap keyed by the
// batch's bytes, like the WebSocket frames); then the last chunk when the stream ends, so
// clients see a clean end of body. HTTP/1.0: close-delimited (§6.3, rule 8),
// each batch written as it is. Either way one `conn.write` per batch (a
// partial write finishes with writeAll). WebSocket (RFC 6455): every write is one binary message, each
// shared batch framed once for every viewer (a WeakMap keyed by the batch's
// bytes); writes are serialized with the pongs
// and the close the reader sends; nothing follows a close frame; the reader
// keeps at most one control frame and skips data frames without buffering.
import { StreamError } from "../../../media/stream_error.ts";
import type { LiveBody, LiveSink } from "../live_body.ts";
import { isDisconnect, tryWriteOf, writeAll } from "../../net/mod.ts";
import type { ConnIo } from "./_io.ts";
import {
  ClientFrameReader,
  closeFrame,
  encodeFrame,
  OP_BINARY,
  OP_CLOSE,
  OP_PING,
  OP_PONG,
} from "./_websocket.ts";

const EMPTY = new Uint8Array(0);

/** Each shared batch framed once as one HTTP/1.1 chunk, for every viewer. */
const chunks = new WeakMap<Uint8Array, Uint8Array>();
function chunkOf(bytes: Uint8Array): Uint8Array {
  let out = chunks.get(bytes);
  if (out === undefined) {
    const size = new TextEncoder().encode(`${bytes.length.toString(16)}\r\n`);
    out = new Uint8Array(size.length + bytes.length + 2);
    out.set(size);
    out.set(bytes, size.length);
    out[out.length - 2] = 0x0d;
    out[out.length - 1] = 0x0a;
    chunks.set(bytes, out);
  }
  return out;
}

/** The last chunk and an empty trailer section (RFC 9112 §7.1). */
const LAST_CHUNK = new Uint8Array([0x30, 0x0d, 0x0a, 0x0d, 0x0a]);

/** Each shared batch framed once as a binary message, for every WebSocket viewer. */
const framed = new WeakMap<Uint8Array, Uint8Array>();
function binaryFrame(bytes: Uint8Array): Uint8Array {
  let out = framed.get(bytes);
  if (out === undefined) {
    out = encodeFrame(OP_BINARY, bytes);
    framed.set(bytes, out);
  }
  return out;
}

/**
 * The sink of a chunked (or close-delimited) live body: one object per
 * viewer, its methods on the prototype and one callback bound once, so a
 * write allocates nothing of its own: `writeSome` hands the batch to
 * `conn.write` and returns Deno's promise as it is (the caller writes the
 * rest of a partial write); `write` finishes a partial write with
 * `writeAll`. `peerGone` is made when first asked for (it resolves on
 * `abort`: a peer that leaves fails the next write).
 */
export class StreamSink implements LiveSink {
  #io: ConnIo;
  #conn: Deno.Conn;
  /** Frame each batch as one chunk (a body that is not chunked itself, on HTTP/1.1). */
  #frame: boolean;
  #chunked: boolean;
  #gone: PromiseWithResolvers<void> | null = null;
  #aborted = false;
  #bytes: Uint8Array = EMPTY;
  #tryWrite: ((bytes: Uint8Array) => number) | undefined;

  /**
   * @param io the connection, its head written
   * @param chunked HTTP/1.1: the body is sent as chunks
   * @param bodyChunked the body's writes are already chunks
   */
  constructor(io: ConnIo, chunked: boolean, bodyChunked: boolean) {
    this.#io = io;
    this.#conn = io.conn;
    this.#tryWrite = tryWriteOf(io.conn);
    this.#chunked = chunked;
    this.#frame = chunked && !bodyChunked;
  }

  /** Resolves once aborted. */
  get peerGone(): Promise<void> {
    if (this.#gone === null) {
      this.#gone = Promise.withResolvers<void>();
      if (this.#aborted) this.#gone.resolve();
    }
    return this.#gone.promise;
  }

  /** Write all of `batch` (a failure rejects and ends the body's run). */
  write(batch: Uint8Array): Promise<void> {
    if (this.#chunked && batch.length === 0) return Promise.resolve(); // "0" ends a body
    const bytes = this.#frame ? chunkOf(batch) : batch;
    this.#bytes = bytes;
    return this.#conn.write(bytes).then(this.#written);
  }

  /**
   * Write all of `batch`: `undefined` when the socket took it whole at once
   * (libc's non-blocking send, nothing allocated), else resolves when the
   * rest is written.
   */
  writeNow(batch: Uint8Array): Promise<void> | undefined {
    const tryWrite = this.#tryWrite;
    if (tryWrite === undefined || this.#frame || batch.length === 0) {
      return this.write(batch);
    }
    const n = tryWrite(batch);
    return n === batch.length
      ? undefined
      : writeAll(this.#conn, batch.subarray(n));
  }

  /** One `conn.write` of `batch`: resolves with how much of it went out. */
  writeSome(batch: Uint8Array): Promise<number> {
    if (this.#frame || (this.#chunked && batch.length === 0)) {
      return this.write(batch).then(() => batch.length);
    }
    return this.#conn.write(batch);
  }

  #written = (n: number): Promise<void> | undefined => {
    const bytes = this.#bytes;
    this.#bytes = EMPTY;
    return n < bytes.length
      ? writeAll(this.#conn, bytes.subarray(n))
      : undefined;
  };

  /** Close the connection now (a pending write rejects). */
  abort(): void {
    this.#aborted = true;
    this.#gone?.resolve();
    this.#io.abort();
  }

  /** The stream ended (or the peer left: then this write fails, quietly). */
  async end(): Promise<void> {
    if (this.#chunked) await writeAll(this.#conn, LAST_CHUNK).catch(() => {});
  }
}

/**
 * Write the 101 `head`, then run a WebSocket live body: `early` holds bytes
 * the client sent right after its upgrade request (its first frames).
 */
export async function runWebSocketBody(
  io: ConnIo,
  head: Uint8Array,
  direct: LiveBody,
  early: Uint8Array,
): Promise<void> {
  await io.write(head);
  const gone = Promise.withResolvers<void>();
  // Writes are serialized: media batches from run(), pongs and the close from the reader.
  let tail: Promise<void> = Promise.resolve();
  const send = (frame: Uint8Array): Promise<void> => {
    const next = tail.then(() => io.write(frame));
    tail = next.catch(() => {});
    return next;
  };
  let closeSent = false;
  const sendClose = (code: number): void => {
    if (closeSent) return;
    closeSent = true;
    send(closeFrame(code)).catch(() => {}).finally(() => gone.resolve());
  };
  const reading = (async () => {
    const reader = new ClientFrameReader();
    const buf = new Uint8Array(1024);
    try {
      let pending = early;
      while (!io.closed) {
        if (pending.length === 0) {
          const n = await io.conn.read(buf);
          if (n === null) break;
          pending = buf.subarray(0, n);
        }
        const bytes = pending;
        pending = EMPTY;
        for (const frame of reader.push(bytes)) {
          if (frame.opcode === OP_CLOSE) {
            sendClose(1000);
            return;
          }
          if (frame.opcode === OP_PING) {
            void send(encodeFrame(OP_PONG, frame.payload)).catch(() => {});
          }
        }
      }
    } catch (error) {
      if (error instanceof StreamError) sendClose(1002);
      else if (!isDisconnect(error)) throw error;
    } finally {
      gone.resolve();
    }
  })();
  const sink: LiveSink = {
    // Nothing may follow a close frame (RFC 6455 §5.5.1).
    write: (bytes) =>
      closeSent
        ? Promise.reject(
          new StreamError("Closed", "Cannot write: WebSocket closing"),
        )
        : send(binaryFrame(bytes)),
    abort: () => {
      gone.resolve();
      io.abort();
    },
    peerGone: gone.promise,
  };
  try {
    await direct.run(sink);
    sendClose(1000);
    await tail;
  } finally {
    io.abort();
    await reading.catch(() => {});
  }
}
