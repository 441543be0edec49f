/**
 * {@linkcode ChunkReader}: reassembles RTMP messages from the chunk stream,
 * incrementally, whatever the TCP read boundaries.
 *
 * Specification: Adobe RTMP 1.0 §5.3 (chunk basic header, the four message
 * header formats, extended timestamp), §5.4.1 (Set Chunk Size), §5.4.2
 * (Abort Message).
 *
 * Data path: `feed(bytes)` copies header bytes (≤ 18 per chunk) into a fixed
 * scratch buffer and payload bytes straight into the message's payload view,
 * which becomes `RtmpMessage.payload` (one copy per message; frames built
 * from it are views). Audio and video messages up to 16 KiB are laid out
 * back to back in the reader's `ByteSlab` (one buffer per ~64 KiB of media
 * instead of one per message; a full slab is dropped, never reused, so a view
 * is never overwritten and a slab is freed with the last frame viewing it);
 * others get a buffer of their own, grown as their chunks arrive. Memory is
 * bounded by {@linkcode MAX_RTMP_MESSAGE_BYTES} per message, {@linkcode MAX_ASSEMBLY_BYTES} over all half-received messages
 * and {@linkcode MAX_CHUNK_STREAMS} per-chunk-stream states. Set Chunk Size
 * and Abort are applied here, at the exact chunk where they arrive.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import { ByteSlab } from "../../src/byte_slab.ts";
import {
  DEFAULT_CHUNK_SIZE,
  MAX_ASSEMBLY_BYTES,
  MAX_CHUNK_SIZE,
  MAX_CHUNK_STREAMS,
  MAX_RTMP_MESSAGE_BYTES,
} from "./chunk_limits.ts";

/**
 * One complete RTMP message.
 *
 * @example
 * ```ts
 * import { ChunkReader, type RtmpMessage, writeChunks } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const bytes = writeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 5 }, new Uint8Array(2), 128);
 * const [message]: RtmpMessage[] = new ChunkReader().feed(bytes);
 * assert.equal(message?.typeId, 20);
 * ```
 */
export interface RtmpMessage {
  /** Chunk stream id it arrived on. */
  csid: number;
  /** Message type id (RTMP §5.4, §7.1). */
  typeId: number;
  /** Message stream id. */
  streamId: number;
  /** 32-bit timestamp in milliseconds (wraps). */
  timestamp: number;
  /**
   * The message body: a view (possibly of a buffer shared with other
   * messages' bodies, so mind its `byteOffset`), never overwritten.
   */
  payload: Uint8Array;
}

/**
 * Limits for {@linkcode ChunkReader}.
 *
 * @example
 * ```ts
 * import { ChunkReader, type ChunkReaderOptions } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: ChunkReaderOptions = { maxMessageBytes: 1 << 20, maxChunkStreams: 8 };
 * assert.equal(new ChunkReader(options).chunkSize, 128);
 * ```
 */
export interface ChunkReaderOptions {
  /** Default {@linkcode MAX_RTMP_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
  /** Default {@linkcode MAX_CHUNK_STREAMS}. */
  maxChunkStreams?: number;
}

interface ChunkStreamState {
  timestamp: number;
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  extended: boolean;
  payload: Uint8Array | null;
  filled: number;
}

const MESSAGE_HEADER_LENGTH = [11, 7, 3, 0] as const;
/** First allocation for a message body; grows by doubling up to its declared length. */
const INITIAL_PAYLOAD_BYTES = 64 * 1024;
/** Audio/video messages up to this size are reassembled in the reader's slab. */
const SLAB_MESSAGE_BYTES = 16 * 1024;
/**
 * Bytes per slab of reassembled audio/video messages: under glibc's mmap
 * threshold (128 KiB), so slabs come from the malloc heap rather than fresh
 * pages (a 256 KiB slab cost more in page faults than it saved).
 */
const SLAB_BYTES = 64 * 1024;

function grow(state: ChunkStreamState, incoming: number): void {
  const old = state.payload!;
  const size = Math.min(
    state.length,
    Math.max(old.length * 2, state.filled + incoming),
  );
  const next = new Uint8Array(size);
  next.set(old.subarray(0, state.filled));
  state.payload = next;
}

function protocolError(message: string): StreamError {
  return new StreamError("Protocol", message);
}

/**
 * Incremental RTMP chunk-stream decoder.
 *
 * @example Read one message
 * ```ts
 * import { ChunkReader, writeChunks } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const bytes = writeChunks(
 *   { csid: 3, typeId: 20, streamId: 0, timestamp: 0 },
 *   new Uint8Array(300),
 *   128,
 * );
 * const reader = new ChunkReader();
 * assert.equal(reader.feed(bytes.subarray(0, 100)).length, 0);
 * const [message] = reader.feed(bytes.subarray(100));
 * assert.equal(message?.payload.length, 300);
 * ```
 */
export class ChunkReader {
  #states = new Map<number, ChunkStreamState>();
  #chunkSize = DEFAULT_CHUNK_SIZE;
  #header = new Uint8Array(18);
  #headerLength = 0;
  #current: ChunkStreamState | null = null;
  #currentCsid = 0;
  #chunkLeft = 0;
  #assembling = 0;
  #bytesReceived = 0;
  #maxMessage: number;
  #maxStreams: number;
  #slab: ByteSlab | null = null;

  /**
   * Create a reader at the default chunk size (128).
   *
   * @param options limits
   */
  constructor(options: ChunkReaderOptions = {}) {
    this.#maxMessage = options.maxMessageBytes ?? MAX_RTMP_MESSAGE_BYTES;
    this.#maxStreams = options.maxChunkStreams ?? MAX_CHUNK_STREAMS;
  }

  /** The peer's current chunk size. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** Total bytes fed so far (for Acknowledgement, RTMP §5.4.3). */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /**
   * Change the incoming chunk size (normally done by a Set Chunk Size message).
   *
   * @param size 1..{@linkcode MAX_CHUNK_SIZE}
   * @throws {StreamError} `Protocol` when out of range
   */
  setChunkSize(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
      throw protocolError(
        `Cannot set chunk size ${size}: allowed range is 1..${MAX_CHUNK_SIZE}`,
      );
    }
    this.#chunkSize = size;
  }

  /**
   * Consume bytes; return every message they complete.
   *
   * @param bytes the next bytes from the peer, any length
   * @returns complete messages, in order
   * @throws {StreamError} `Protocol` on malformed chunks, `LimitExceeded` past a limit
   */
  feed(bytes: Uint8Array): RtmpMessage[] {
    const out: RtmpMessage[] = [];
    this.#bytesReceived += bytes.length;
    let p = 0;
    while (p < bytes.length) {
      if (this.#current !== null) {
        const state = this.#current;
        const n = Math.min(this.#chunkLeft, bytes.length - p);
        if (state.filled + n > state.payload!.length) grow(state, n);
        state.payload!.set(bytes.subarray(p, p + n), state.filled);
        state.filled += n;
        this.#chunkLeft -= n;
        p += n;
        if (this.#chunkLeft === 0) this.#finishChunk(state, out);
        continue;
      }
      p = this.#readHeader(bytes, p);
      if (this.#current !== null) this.#startChunk(out);
    }
    return out;
  }

  #readHeader(bytes: Uint8Array, p: number): number {
    const h = this.#header;
    let need = this.#headerNeed();
    while (this.#headerLength < need && p < bytes.length) {
      h[this.#headerLength++] = bytes[p++]!;
      need = this.#headerNeed();
    }
    if (this.#headerLength < need) return p;
    this.#parseHeader();
    return p;
  }

  /** Bytes of header needed, given the bytes seen so far. */
  #headerNeed(): number {
    const h = this.#header;
    if (this.#headerLength === 0) return 1;
    const fmt = h[0]! >> 6;
    const low = h[0]! & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const base = basic + MESSAGE_HEADER_LENGTH[fmt as 0 | 1 | 2 | 3];
    if (this.#headerLength < basic) return basic;
    if (fmt === 3) {
      const state = this.#states.get(this.#csidOf(basic));
      return base + (state?.extended ? 4 : 0);
    }
    if (this.#headerLength < base) return base;
    const ts = (h[basic]! << 16) | (h[basic + 1]! << 8) | h[basic + 2]!;
    return base + (ts === 0xffffff ? 4 : 0);
  }

  #csidOf(basic: number): number {
    const h = this.#header;
    if (basic === 1) return h[0]! & 0x3f;
    if (basic === 2) return h[1]! + 64;
    return h[2]! * 256 + h[1]! + 64;
  }

  #parseHeader(): void {
    const h = this.#header;
    const fmt = h[0]! >> 6;
    const low = h[0]! & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const csid = this.#csidOf(basic);
    let state = this.#states.get(csid);
    if (state === undefined) {
      if (fmt !== 0) {
        throw protocolError(
          `Cannot read chunk: format ${fmt} on new chunk stream ${csid}`,
        );
      }
      if (this.#states.size >= this.#maxStreams) {
        throw new StreamError(
          "LimitExceeded",
          `Cannot open chunk stream ${csid}: MAX_CHUNK_STREAMS (${this.#maxStreams}) reached`,
        );
      }
      state = {
        timestamp: 0,
        delta: 0,
        length: 0,
        typeId: 0,
        streamId: 0,
        extended: false,
        payload: null,
        filled: 0,
      };
      this.#states.set(csid, state);
    }
    const m = basic;
    let field = 0;
    if (fmt !== 3) {
      field = (h[m]! << 16) | (h[m + 1]! << 8) | h[m + 2]!;
      state.extended = field === 0xffffff;
    }
    let ext = 0;
    if (state.extended) {
      const e = m + MESSAGE_HEADER_LENGTH[fmt as 0 | 1 | 2 | 3];
      ext =
        ((h[e]! << 24) | (h[e + 1]! << 16) | (h[e + 2]! << 8) | h[e + 3]!) >>>
        0;
    }
    const value = state.extended ? ext : field;
    if (fmt <= 1) {
      if (state.payload !== null) {
        throw protocolError(
          `Cannot read chunk: new message header on chunk stream ${csid} before its message ended`,
        );
      }
      state.length = (h[m + 3]! << 16) | (h[m + 4]! << 8) | h[m + 5]!;
      state.typeId = h[m + 6]!;
    }
    if (fmt === 0) {
      state.streamId = (h[m + 7]! | (h[m + 8]! << 8) | (h[m + 9]! << 16) |
        (h[m + 10]! << 24)) >>> 0;
      state.timestamp = value;
      state.delta = value;
    } else if (fmt !== 3) {
      state.delta = value;
      if (state.payload === null) {
        state.timestamp = (state.timestamp + value) >>> 0;
      }
    } else if (state.payload === null) {
      state.timestamp = (state.timestamp + state.delta) >>> 0;
    }
    this.#current = state;
    this.#currentCsid = csid;
    this.#headerLength = 0;
  }

  #startChunk(out: RtmpMessage[]): void {
    const state = this.#current!;
    if (state.payload === null) {
      if (state.length > this.#maxMessage) {
        throw new StreamError(
          "LimitExceeded",
          `Cannot read message of ${state.length} bytes: MAX_RTMP_MESSAGE_BYTES is ${this.#maxMessage}`,
        );
      }
      if (this.#assembling + state.length > MAX_ASSEMBLY_BYTES) {
        throw new StreamError(
          "LimitExceeded",
          `Cannot read message of ${state.length} bytes: ${this.#assembling} bytes already in reassembly (MAX_ASSEMBLY_BYTES)`,
        );
      }
      if (
        (state.typeId === 8 || state.typeId === 9) &&
        state.length <= SLAB_MESSAGE_BYTES
      ) {
        // Media: a view of the slab, the whole declared length (≤ 16 KiB).
        this.#slab ??= new ByteSlab(SLAB_BYTES);
        state.payload = this.#slab.take(state.length);
      } else {
        // Allocate what arrives, not what the header claims: a 12-byte header
        // must not cost 16 MiB. Most messages fit the first allocation.
        state.payload = new Uint8Array(
          Math.min(state.length, INITIAL_PAYLOAD_BYTES),
        );
      }
      state.filled = 0;
      this.#assembling += state.length;
    }
    this.#chunkLeft = Math.min(this.#chunkSize, state.length - state.filled);
    if (this.#chunkLeft === 0) this.#finishChunk(state, out);
  }

  #finishChunk(state: ChunkStreamState, out: RtmpMessage[]): void {
    this.#current = null;
    if (state.filled < state.length) return;
    const payload = state.payload!;
    state.payload = null;
    this.#assembling -= state.length;
    const message: RtmpMessage = {
      csid: this.#currentCsid,
      typeId: state.typeId,
      streamId: state.streamId,
      timestamp: state.timestamp,
      payload,
    };
    if (message.typeId === 1) this.#onSetChunkSize(payload);
    else if (message.typeId === 2 && payload.length >= 4) {
      this.#abort(
        ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) |
          payload[3]!) >>> 0,
      );
    }
    out.push(message);
  }

  #onSetChunkSize(payload: Uint8Array): void {
    if (payload.length < 4) {
      throw protocolError(
        `Cannot set chunk size: message has ${payload.length} of 4 bytes`,
      );
    }
    const size = ((payload[0]! << 24) | (payload[1]! << 16) |
      (payload[2]! << 8) | payload[3]!) >>> 0;
    this.setChunkSize(size);
  }

  #abort(csid: number): void {
    const state = this.#states.get(csid);
    if (state?.payload) {
      this.#assembling -= state.length;
      state.payload = null;
      state.filled = 0;
    }
  }
}
