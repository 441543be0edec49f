/**
 * HTTP-FLV byte-counting viewer: raw TCP `GET`, HTTP/1.1 response header,
 * optional `Transfer-Encoding: chunked` decoding, then an FLV tag-header walker.
 *
 * Payload bytes are skipped in place; only the 11-byte tag header and the first
 * two bytes of each video body are copied into fixed scratch buffers, so the
 * parser allocates nothing per tag.
 *
 * Specification: RFC 9112 §6.1/§7.1 (chunked transfer coding); Adobe Flash Video
 * File Format Specification v10.1, Annex E.2 (header), E.3 (body), E.4.1 (tag),
 * E.4.3.1 (VIDEODATA: FrameType, CodecID, AVCPacketType).
 *
 * @module
 */

import { isKeyframePicture, Viewer } from "./viewer.ts";

/** A response header larger than this is not an FLV server we know. */
const MAX_HTTP_HEADER_BYTES = 16 * 1024;
const FLV_HEADER_BYTES = 9 + 4; // header + PreviousTagSize0
const TAG_HEADER_BYTES = 11;
const PREV_TAG_SIZE_BYTES = 4;

const enum Http {
  Header,
  ChunkSize,
  ChunkData,
  ChunkCrlf,
  Raw,
  Done,
}

const enum Flv {
  FileHeader,
  TagHeader,
  Body,
  PrevSize,
}

/** An HTTP-FLV viewer of `http://hostname:port/path`. */
export class FlvViewer extends Viewer {
  readonly path: string;
  #http = Http.Header;
  #header = new Uint8Array(MAX_HTTP_HEADER_BYTES);
  #headerLen = 0;
  #chunkLeft = 0;
  #sizeDigits = 0;
  #sizeValue = 0;
  #inExtension = false;
  #flv = Flv.FileHeader;
  #scratch = new Uint8Array(TAG_HEADER_BYTES);
  #have = 0;
  #tagType = 0;
  #tagTs = 0;
  #bodyLeft = 0;
  #bodyPos = 0;
  #b0 = 0;
  #b1 = 0;
  /** FLV tags fully received (audio, video and script). */
  tags = 0;

  constructor(hostname: string, port: number, path: string) {
    super(hostname, port);
    this.path = path;
  }

  protected onOpen(): void {
    this.send(
      new TextEncoder().encode(
        `GET ${this.path} HTTP/1.1\r\nHost: ${this.hostname}:${this.port}\r\n` +
          "User-Agent: arcly-fanout-bench\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
      ),
    );
  }

  protected feed(buf: Uint8Array, off: number, end: number, now: number): void {
    while (off < end) {
      switch (this.#http) {
        case Http.Header:
          off = this.#readHeader(buf, off, end);
          break;
        case Http.Raw:
          this.#flvFeed(buf, off, end, now);
          off = end;
          break;
        case Http.ChunkSize:
          off = this.#readChunkSize(buf, off, end);
          break;
        case Http.ChunkData: {
          const take = Math.min(this.#chunkLeft, end - off);
          this.#flvFeed(buf, off, off + take, now);
          off += take;
          this.#chunkLeft -= take;
          if (this.#chunkLeft === 0) {
            this.#http = Http.ChunkCrlf;
            this.#chunkLeft = 2;
          }
          break;
        }
        case Http.ChunkCrlf: {
          const take = Math.min(this.#chunkLeft, end - off);
          off += take;
          this.#chunkLeft -= take;
          if (this.#chunkLeft === 0) this.#http = Http.ChunkSize;
          break;
        }
        case Http.Done:
          return;
      }
    }
  }

  #readHeader(buf: Uint8Array, off: number, end: number): number {
    while (off < end) {
      if (this.#headerLen >= MAX_HTTP_HEADER_BYTES) {
        this.fail("HTTP header too large");
        return end;
      }
      this.#header[this.#headerLen++] = buf[off++]!;
      const n = this.#headerLen;
      if (
        n >= 4 && this.#header[n - 1] === 0x0a &&
        this.#header[n - 2] === 0x0d &&
        this.#header[n - 3] === 0x0a && this.#header[n - 4] === 0x0d
      ) {
        const text = new TextDecoder().decode(this.#header.subarray(0, n));
        const status = Number(text.split(" ", 3)[1]);
        if (status !== 200) {
          this.fail(`HTTP status ${status}`);
          return end;
        }
        this.#http = /\r\ntransfer-encoding:[^\r]*chunked/i.test(text)
          ? Http.ChunkSize
          : Http.Raw;
        return off;
      }
    }
    return off;
  }

  #readChunkSize(buf: Uint8Array, off: number, end: number): number {
    while (off < end) {
      const c = buf[off++]!;
      if (c === 0x0a) {
        if (this.#sizeDigits === 0) continue; // CRLF left over between chunks
        this.#chunkLeft = this.#sizeValue;
        this.#sizeDigits = 0;
        this.#sizeValue = 0;
        this.#inExtension = false;
        this.#http = this.#chunkLeft === 0 ? Http.Done : Http.ChunkData;
        if (this.#http === Http.Done) {
          this.endedByPeer = true; // last-chunk: the server ended the body
          this.fail("end of body");
        }
        return off;
      }
      if (this.#inExtension || c === 0x0d) continue;
      if (c === 0x3b) { // ';' chunk extension
        this.#inExtension = true;
        continue;
      }
      const digit = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
      if (digit < 0 || digit > 15) {
        this.fail(`bad chunk size byte ${c}`);
        return end;
      }
      this.#sizeValue = this.#sizeValue * 16 + digit;
      this.#sizeDigits++;
    }
    return off;
  }

  #flvFeed(buf: Uint8Array, off: number, end: number, now: number): void {
    while (off < end) {
      switch (this.#flv) {
        case Flv.FileHeader:
        case Flv.PrevSize: {
          const need = (this.#flv === Flv.FileHeader
            ? FLV_HEADER_BYTES
            : PREV_TAG_SIZE_BYTES) - this.#have;
          const take = Math.min(need, end - off);
          if (
            this.#flv === Flv.FileHeader && this.#have === 0 &&
            buf[off] !== 0x46
          ) {
            this.fail("not an FLV stream");
            return;
          }
          off += take;
          this.#have += take;
          if (take === need) {
            this.#flv = Flv.TagHeader;
            this.#have = 0;
          }
          break;
        }
        case Flv.TagHeader: {
          const take = Math.min(TAG_HEADER_BYTES - this.#have, end - off);
          this.#scratch.set(buf.subarray(off, off + take), this.#have);
          off += take;
          this.#have += take;
          if (this.#have === TAG_HEADER_BYTES) {
            const s = this.#scratch;
            this.#tagType = s[0]! & 0x1f;
            this.#bodyLeft = (s[1]! << 16) | (s[2]! << 8) | s[3]!;
            this.#tagTs =
              ((s[7]! << 24) | (s[4]! << 16) | (s[5]! << 8) | s[6]!) >>> 0;
            this.#bodyPos = 0;
            this.#have = 0;
            this.#flv = Flv.Body;
            if (this.#bodyLeft === 0) {
              this.#tagDone(now);
            }
          }
          break;
        }
        case Flv.Body: {
          const take = Math.min(this.#bodyLeft, end - off);
          if (this.#bodyPos === 0 && take > 0) {
            this.#b0 = buf[off]!;
          }
          if (this.#bodyPos <= 1 && this.#bodyPos + take > 1) {
            this.#b1 = buf[off + 1 - this.#bodyPos]!;
          }
          this.#bodyPos += take;
          this.#bodyLeft -= take;
          off += take;
          if (this.#bodyLeft === 0) {
            this.#tagDone(now);
          }
          break;
        }
      }
    }
  }

  #tagDone(now: number): void {
    this.tags++;
    this.#flv = Flv.PrevSize;
    if (this.#tagType === 8 || this.#tagType === 9) {
      this.media(this.#tagTs, now);
      if (
        this.#tagType === 9 && this.#bodyPos >= 2 &&
        isKeyframePicture(this.#b0, this.#b1)
      ) {
        this.keyframeComplete(now);
      }
    }
  }
}
