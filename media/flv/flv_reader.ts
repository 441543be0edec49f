/**
 * Read `.flv` files into {@linkcode MediaFrame}s: {@linkcode FlvReader}
 * (incremental, push bytes in), {@linkcode readFlvFile} (whole file) and
 * {@linkcode readFlvStream} (a `ReadableStream` of bytes).
 *
 * Specification: Adobe Flash Video File Format v10.1, Annex E.2 (header), E.3
 * (body), E.4.1 (FLVTAG); tag bodies per `flv_tag.ts`.
 *
 * Data path: complete tags are mapped in place, so frames view the bytes that
 * were pushed (no copy). Only an incomplete tail is kept between pushes; it is
 * at most one tag ({@linkcode FLV_MAX_TAG_BYTES}). Pushed pieces of that tail
 * are only listed until the tag they start is complete, then joined once, so
 * a tag arriving in many small chunks costs O(tag size), not O(size²). A
 * truncated tail at end of input is reported, not thrown.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { BitstreamError, StreamError } from "../stream_error.ts";
import { flvBodyToFrames } from "./flv_tag.ts";

/**
 * Largest tag (header + body + PreviousTagSize) the reader buffers: the 24-bit
 * DataSize field's maximum, so any valid tag fits and nothing larger is kept.
 *
 * @example Any valid tag fits the bound
 * ```ts
 * import { FLV_MAX_TAG_BYTES } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 * assert.equal(FLV_MAX_TAG_BYTES, 11 + 0xffffff + 4);
 * ```
 */
export const FLV_MAX_TAG_BYTES: number = 11 + 0xffffff + 4;
/** Largest header DataOffset accepted; the v1 header is 9 bytes, later versions may add a little. */
const MAX_DATA_OFFSET = 1024;

/**
 * What the FLV header announced.
 *
 * @example Flags of a header written for an audio-only file
 * ```ts
 * import { encodeFlvFile, readFlvFile } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const file = encodeFlvFile([{ kind: "audio", codec: "mp3", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array([0xff, 0xfb]) }]);
 * assert.deepEqual(readFlvFile(file).header, { hasAudio: true, hasVideo: false });
 * ```
 */
export interface FlvHeaderInfo {
  /** The TypeFlagsAudio bit. */
  readonly hasAudio: boolean;
  /** The TypeFlagsVideo bit. */
  readonly hasVideo: boolean;
}

/**
 * The result of {@linkcode readFlvFile}.
 *
 * @example Inspect a result
 * ```ts
 * import { type FlvReadResult, readFlvFile } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const result: FlvReadResult = readFlvFile(new Uint8Array([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]));
 * assert.equal(result.frames.length, 0);
 * assert.equal(result.truncated, false);
 * ```
 */
export interface FlvReadResult {
  /** Every frame, in file order (timescale 1000). */
  readonly frames: MediaFrame[];
  /** What the header announced. */
  readonly header: FlvHeaderInfo;
  /** True when the input ended inside a tag (the partial tag is dropped). */
  readonly truncated: boolean;
}

/**
 * Incremental FLV demuxer: push chunks, get the frames of every complete tag.
 *
 * @example Feed a file in two halves
 * ```ts
 * import { FlvMuxer, FlvReader } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const muxer = new FlvMuxer();
 * const file = new Uint8Array([...muxer.initSegment(), ...muxer.mux([{ kind: "audio",
 *   codec: "mp3", trackId: 0, pts: 0, dts: 0, timescale: 1000, keyframe: true,
 *   config: false, data: new Uint8Array([0xff, 0xfb, 0x90]) }])]);
 * const reader = new FlvReader();
 * const frames = [...reader.push(file.subarray(0, 30)), ...reader.push(file.subarray(30))];
 * assert.equal(frames.at(-1)?.codec, "mp3");
 * assert.equal(reader.pendingBytes, 0);
 * ```
 */
export class FlvReader {
  /** The incomplete tail, as pushed pieces (joined only once it can be parsed). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Tail size at which parsing can progress (0: unknown, try every push). */
  #need = 0;
  #header: FlvHeaderInfo | undefined;
  #consumed = 0;

  /** The header, once the first bytes have been read. */
  get header(): FlvHeaderInfo | undefined {
    return this.#header;
  }

  /** Bytes held back because they do not yet form a complete tag. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Push the next chunk of the file.
   *
   * @param chunk bytes (viewed, not copied, when no tail is pending)
   * @returns the frames of every tag completed by this chunk
   * @throws {BitstreamError} on a bad signature or header
   * @throws {StreamError} code `Unsupported` for encrypted tags or unsupported codecs
   */
  push(chunk: Uint8Array): MediaFrame[] {
    let data = chunk;
    if (this.#pendingBytes > 0) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      // Still inside the same tag: keep the piece, copy nothing yet.
      if (this.#pendingBytes < this.#need) return [];
      data = new Uint8Array(this.#pendingBytes);
      let at = 0;
      for (const piece of this.#pending) {
        data.set(piece, at);
        at += piece.length;
      }
    }
    const frames: MediaFrame[] = [];
    let pos = 0;
    this.#need = 0;
    if (this.#header === undefined) {
      const end = this.#readHeader(data);
      if (end < 0) {
        this.#keep(data, 0);
        return frames;
      }
      pos = end;
    }
    while (data.length - pos >= 15) {
      const size = (data[pos + 1]! << 16) | (data[pos + 2]! << 8) |
        data[pos + 3]!;
      if (data.length - pos < 15 + size) {
        this.#need = 15 + size;
        break;
      }
      const tagType = data[pos]!;
      const timestamp = ((data[pos + 7]! << 24) | (data[pos + 4]! << 16) |
        (data[pos + 5]! << 8) | data[pos + 6]!) >>> 0;
      if ((tagType & 0x20) !== 0) {
        throw new StreamError(
          "Unsupported",
          `Cannot read FLV tag at byte ${
            this.#consumed + pos
          }: encrypted tags (Filter bit) are not supported`,
        );
      }
      const type = tagType & 0x1f;
      if (type === 8 || type === 9 || type === 18) {
        const body = data.subarray(pos + 11, pos + 11 + size);
        for (const f of flvBodyToFrames(type, body, timestamp)) frames.push(f);
      }
      pos += 15 + size;
    }
    this.#consumed += pos;
    this.#keep(data, pos);
    return frames;
  }

  #keep(data: Uint8Array, pos: number): void {
    const rest = data.length - pos;
    this.#pending = rest === 0 ? [] : [data.subarray(pos)];
    this.#pendingBytes = rest;
    if (this.#need === 0 && this.#header !== undefined) this.#need = 15;
  }

  /**
   * Call at end of input.
   *
   * @returns whether a partial tag (or header) was left over
   */
  finish(): { truncated: boolean } {
    const truncated = this.#pendingBytes > 0 || this.#header === undefined;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#need = 0;
    return { truncated };
  }

  #readHeader(data: Uint8Array): number {
    if (data.length < 9) return -1;
    if (data[0] !== 0x46 || data[1] !== 0x4c || data[2] !== 0x56) {
      throw new BitstreamError(
        'Cannot read FLV header: signature is not "FLV"',
        { byteOffset: 0 },
      );
    }
    const offset = ((data[5]! << 24) | (data[6]! << 16) | (data[7]! << 8) |
      data[8]!) >>> 0;
    if (offset < 9 || offset > MAX_DATA_OFFSET) {
      throw new BitstreamError(
        `Cannot read FLV header: DataOffset ${offset} is outside 9..${MAX_DATA_OFFSET}`,
        { byteOffset: 5 },
      );
    }
    if (data.length < offset + 4) return -1;
    this.#header = {
      hasAudio: (data[4]! & 0x04) !== 0,
      hasVideo: (data[4]! & 0x01) !== 0,
    };
    return offset + 4; // skip PreviousTagSize0
  }
}

/**
 * Read a whole `.flv` file held in memory.
 *
 * @param data the file bytes
 * @returns the frames (viewing `data`), header flags and truncation flag
 * @throws {BitstreamError} on a bad header
 * @throws {StreamError} code `Unsupported` for encrypted tags or unsupported codecs
 *
 * @example A truncated file keeps its complete tags
 * ```ts
 * import { FlvMuxer, readFlvFile } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const head = new FlvMuxer().initSegment();
 * const { frames, truncated } = readFlvFile(head.subarray(0, head.length - 2));
 * assert.equal(frames.length, 0);
 * assert.equal(truncated, true);
 * ```
 */
export function readFlvFile(data: Uint8Array): FlvReadResult {
  const reader = new FlvReader();
  const frames = reader.push(data);
  const header = reader.header ?? { hasAudio: false, hasVideo: false };
  return { frames, header, truncated: reader.finish().truncated };
}

/**
 * Read FLV bytes from a stream, yielding frames as tags complete. A truncated
 * tail at the end of the stream is dropped.
 *
 * @param readable the byte stream (a file, an HTTP-FLV response body)
 * @returns the frames, in order
 * @throws {BitstreamError} on a bad header
 *
 * @example From a byte stream
 * ```ts
 * import { FlvMuxer, readFlvStream } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const stream = ReadableStream.from([new FlvMuxer().initSegment()]);
 * const kinds: string[] = [];
 * for await (const frame of readFlvStream(stream)) kinds.push(frame.kind);
 * assert.deepEqual(kinds, ["data"]);
 * ```
 */
export async function* readFlvStream(
  readable: ReadableStream<Uint8Array>,
): AsyncGenerator<MediaFrame, void, undefined> {
  const reader = new FlvReader();
  for await (const chunk of readable) yield* reader.push(chunk);
  reader.finish();
}
