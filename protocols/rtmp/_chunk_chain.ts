// The delta chain of one stream's shared RTMP chunk bytes (private to
// protocols/rtmp): `ChunkChain.serialize` builds a frame's chunk bytes with a
// type-1 first header (timestamp delta from the previous message on the same
// chunk stream, in the order the frames are serialized, i.e. stream order).
// A player may write the shared bytes of a message as they are only if the
// last message it sent on that chunk stream had the absolute timestamp the
// delta is relative to (`prev = abs - delta`, see _play_timeline.ts);
// otherwise it writes its own type-0 header and the rest of the shared bytes.
//
// No object per frame (issue 19): everything a player needs is in the shared
// bytes and the frame — slot from the basic header's csid, delta from bytes
// 1-3, body length 4-6, type id 7, unit length from the body length and the
// chunk size, `abs = flvTimestampOf(frame)` — and "never use the header as
// is" (first message of the chunk stream, a config frame, a negative or
// too large delta) is the delta NEVER_AS_IS (0xffffff) in the shared header
// itself: never a shared delta (MAX_SHARED_DELTA is 0xfffffe), and such a
// unit is always rewritten with the player's own type-0 header, so those
// three bytes never reach the wire. Frames the format cannot carry (an empty
// unit) are the only thing a player cannot read from the bytes: the chain
// remembers them in a WeakSet made on the first one (none in a stream of
// codecs FLV carries).
//
// Config frames (sequence headers) never move the chain: the kernel replays
// stamped copies of them to joiners, serialized at join time, out of stream
// order. A player always sends them with its own type-0 header (rare: once
// per join and per new sequence header).
//
// Memory: three numbers per stream; a WeakSet entry per frame skipped.
import type { MediaFrame } from "../../media/frame.ts";
import {
  flvBodyByteLength,
  flvTagTypeOf,
  flvTimestampOf,
  writeFlvBodyInto,
} from "../../media/flv/mod.ts";
import { ChunkStreamId } from "./messages.ts";

/** Largest delta a shared type-1 header carries (0xffffff would need an extended timestamp). */
export const MAX_SHARED_DELTA = 0xfffffe;

/** Chunk stream slot of a message: 0 audio, 1 video, 2 data. */
export type ChainSlot = 0 | 1 | 2;

/** The chunk stream ids of the slots. */
export const SLOT_CSID: readonly number[] = [
  ChunkStreamId.Audio,
  ChunkStreamId.Video,
  ChunkStreamId.Data,
];

/** What a player needs to know about one frame's shared chunk bytes. */
export interface ChainLink {
  /** 0 audio (csid 4), 1 video (csid 6), 2 data (csid 5). */
  readonly slot: ChainSlot;
  /** The message's absolute timestamp, ms (the stream's time). */
  readonly abs: number;
  /** Absolute timestamp the delta is relative to; NaN: never use the header as is. */
  readonly prev: number;
  /** Message type id (8, 9, 18). */
  readonly typeId: number;
  /** Message body length. */
  readonly payloadLength: number;
  /** Length of the shared bytes (header, body and type-3 headers). */
  readonly unitLength: number;
}

/** Bytes of the shared type-1 header (1-byte basic header: csid 4..6). */
export const TYPE1_HEADER_LENGTH = 8;

/** The shared delta of a header a player must never write as is. */
export const NEVER_AS_IS = 0xffffff;

/** The slot of the unit at `off` (its csid: 4 audio, 6 video, 5 data). */
export function slotAt(bytes: Uint8Array, off: number): ChainSlot {
  const csid = bytes[off]! & 0x3f;
  return csid === ChunkStreamId.Audio
    ? 0
    : csid === ChunkStreamId.Video
    ? 1
    : 2;
}

/** The shared delta of the unit at `off` (NEVER_AS_IS: never as is). */
export function deltaAt(bytes: Uint8Array, off: number): number {
  return (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!;
}

/** The serializing side of one stream (stateful: frames in stream order). */
export class ChunkChain {
  #chunkSize: number;
  #streamId: number;
  #last: number[] = [NaN, NaN, NaN];
  #skipped: WeakSet<MediaFrame> | undefined;

  constructor(chunkSize: number, streamId: number) {
    this.#chunkSize = chunkSize;
    this.#streamId = streamId;
  }

  /** The chunk size the bytes are built for. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** The message stream id of every message. */
  get streamId(): number {
    return this.#streamId;
  }

  /** Remember a frame the format could not carry (its unit is empty). */
  skip(frame: MediaFrame): void {
    (this.#skipped ??= new WeakSet()).add(frame);
  }

  /** Whether `frame` was skipped (it has no bytes in a batch). */
  isSkipped(frame: MediaFrame): boolean {
    return this.#skipped !== undefined && this.#skipped.has(frame);
  }

  /** Length of the unit at `off` (header, body and type-3 basic headers). */
  unitLengthAt(bytes: Uint8Array, off: number): number {
    const length = (bytes[off + 4]! << 16) | (bytes[off + 5]! << 8) |
      bytes[off + 6]!;
    return TYPE1_HEADER_LENGTH + length +
      Math.max(0, Math.ceil(length / this.#chunkSize) - 1);
  }

  /**
   * What a player needs to know about the unit of `frame` at `off` in
   * `bytes` (a serialized, not skipped frame), read from its shared header.
   */
  linkAt(frame: MediaFrame, bytes: Uint8Array, off: number): ChainLink {
    const abs = flvTimestampOf(frame);
    const delta = deltaAt(bytes, off);
    return {
      slot: slotAt(bytes, off),
      abs,
      prev: delta === NEVER_AS_IS ? NaN : abs - delta,
      typeId: bytes[off + 7]!,
      payloadLength: (bytes[off + 4]! << 16) | (bytes[off + 5]! << 8) |
        bytes[off + 6]!,
      unitLength: this.unitLengthAt(bytes, off),
    };
  }

  /**
   * The shared chunk bytes of `frame`, in a buffer of their own or, with
   * `take`, in the view it hands out (the cache's slab: no garbage copy).
   *
   * @throws {StreamError} `Unsupported` for a codec FLV cannot carry (before `take`)
   */
  serialize(
    frame: MediaFrame,
    take?: (n: number) => Uint8Array,
  ): Uint8Array {
    const typeId = flvTagTypeOf(frame);
    const payloadLength = flvBodyByteLength(frame);
    const slot: ChainSlot = typeId === 8 ? 0 : typeId === 9 ? 1 : 2;
    const abs = flvTimestampOf(frame);
    let delta = NEVER_AS_IS;
    if (!frame.config) {
      const last = this.#last[slot]!;
      const d = abs - last; // NaN for the first message
      if (d >= 0 && d <= MAX_SHARED_DELTA) delta = d;
      this.#last[slot] = abs; // a discontinuity restarts the chain here
    }
    const chunkSize = this.#chunkSize;
    const chunks = Math.max(1, Math.ceil(payloadLength / chunkSize));
    const unitLength = TYPE1_HEADER_LENGTH + payloadLength + chunks - 1;
    const out = take === undefined
      ? new Uint8Array(unitLength)
      : take(unitLength);
    out[0] = 0x40 | SLOT_CSID[slot]!; // fmt 1
    out[1] = delta >>> 16;
    out[2] = (delta >>> 8) & 0xff;
    out[3] = delta & 0xff;
    out[4] = payloadLength >>> 16;
    out[5] = (payloadLength >>> 8) & 0xff;
    out[6] = payloadLength & 0xff;
    out[7] = typeId;
    if (chunks === 1) {
      writeFlvBodyInto(frame, out, TYPE1_HEADER_LENGTH);
    } else {
      // The body is written at the end of the unit, then each chunk moves
      // forward to its place (chunk k by chunks - 1 - k bytes, so it never
      // overwrites a chunk not moved yet) behind its fmt-3 basic header.
      const basic = 0xc0 | SLOT_CSID[slot]!; // fmt 3, no extended timestamp
      const at = unitLength - payloadLength;
      writeFlvBodyInto(frame, out, at);
      out.copyWithin(TYPE1_HEADER_LENGTH, at, at + chunkSize);
      let o = TYPE1_HEADER_LENGTH + chunkSize;
      for (let p = chunkSize; p < payloadLength; p += chunkSize) {
        out[o++] = basic;
        const n = Math.min(chunkSize, payloadLength - p);
        out.copyWithin(o, at + p, at + p + n);
        o += n;
      }
    }
    return out;
  }
}

/** Where a format built by `rtmpChunkFormat` keeps its chain. */
const CHAIN: unique symbol = Symbol("rtmp chunk chain");

/** Remember the chain behind a format (rtmpChunkFormat). */
export function registerChain(format: object, chain: ChunkChain): void {
  Object.defineProperty(format, CHAIN, { value: chain });
}

/** The chain behind an RTMP chunk format, or undefined for another format. */
export function chainOf(format: object): ChunkChain | undefined {
  const chain = (format as { [CHAIN]?: unknown })[CHAIN];
  return chain instanceof ChunkChain ? chain : undefined;
}
