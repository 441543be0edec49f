/**
 * Minimal byte-counting RTMP player, independent of the code under test.
 *
 * Data path: simple handshake (C0/C1 → S0/S1/S2 → C2), `connect` →
 * `createStream` → `play`, then a chunk-stream walker that copies only chunk
 * headers and the bodies of small control/command messages (bounded by
 * `MAX_CONTROL_BODY_BYTES`); audio/video payloads are skipped in place. It
 * answers pings and sends Acknowledgements at the server's window size, as a
 * real player does.
 *
 * Specification: Adobe RTMP Specification 1.0 (2012) §5.2 (handshake), §5.3.1
 * (chunk basic/message headers, extended timestamp), §5.4 (protocol control
 * messages), §7.1.7 (user control), §7.2.1.1 (connect), §7.2.1.3 (createStream),
 * §7.2.2.1 (play); FLV VIDEODATA (Annex E.4.3.1) for the keyframe test.
 *
 * @module
 */

import { type Amf0Value, decodeAmf0, encodeAmf0 } from "./amf0.ts";
import { isKeyframePicture, Viewer } from "./viewer.ts";

const HANDSHAKE_BYTES = 1536;
const DEFAULT_CHUNK_SIZE = 128;
/** Control and command bodies are tiny; anything larger is skipped, not buffered. */
const MAX_CONTROL_BODY_BYTES = 64 * 1024;
const OUT_CHUNK_SIZE = 128;

const enum State {
  Handshake,
  Basic,
  MessageHeader,
  ExtendedTs,
  Payload,
}

interface ChunkStream {
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  left: number;
  extended: boolean;
  body: Uint8Array | null;
  bodyPos: number;
  b0: number;
  b1: number;
}

const HEADER_BYTES_BY_FMT = [11, 7, 3, 0] as const;

/** An RTMP player of `rtmp://hostname:port/app/name`. */
export class RtmpViewer extends Viewer {
  readonly app: string;
  readonly name: string;
  #state = State.Handshake;
  #handshake = new Uint8Array(1 + 2 * HANDSHAKE_BYTES);
  #handshakeHave = 0;
  #scratch = new Uint8Array(16);
  #have = 0;
  #need = 0;
  #fmt = 0;
  #basicLen = 0;
  #cs: ChunkStream | null = null;
  #streams = new Map<number, ChunkStream>();
  #inChunkSize = DEFAULT_CHUNK_SIZE;
  #ackWindow = 0;
  #lastAck = 0;
  #playStreamId = -1;
  /** Complete media messages received. */
  messages = 0;

  constructor(hostname: string, port: number, app: string, name: string) {
    super(hostname, port);
    this.app = app;
    this.name = name;
  }

  protected onOpen(): void {
    const c0c1 = new Uint8Array(1 + HANDSHAKE_BYTES);
    c0c1[0] = 3;
    crypto.getRandomValues(c0c1.subarray(9, 9 + 1024));
    this.send(c0c1);
  }

  protected feed(buf: Uint8Array, off: number, end: number, now: number): void {
    while (off < end) {
      switch (this.#state) {
        case State.Handshake:
          off = this.#readHandshake(buf, off, end);
          break;
        case State.Basic:
          off = this.#readBasic(buf, off, end);
          break;
        case State.MessageHeader:
        case State.ExtendedTs: {
          const take = Math.min(this.#need - this.#have, end - off);
          this.#scratch.set(buf.subarray(off, off + take), this.#have);
          this.#have += take;
          off += take;
          if (this.#have === this.#need) {
            if (this.#state === State.MessageHeader) this.#headerDone();
            else this.#extendedDone();
          }
          break;
        }
        case State.Payload:
          off = this.#readPayload(buf, off, end, now);
          break;
      }
    }
    if (this.#ackWindow > 0 && this.bytes - this.#lastAck >= this.#ackWindow) {
      this.#lastAck = this.bytes;
      this.#sendMessage(2, 3, 0, u32(this.bytes));
    }
  }

  #readHandshake(buf: Uint8Array, off: number, end: number): number {
    const take = Math.min(
      this.#handshake.length - this.#handshakeHave,
      end - off,
    );
    this.#handshake.set(buf.subarray(off, off + take), this.#handshakeHave);
    const before = this.#handshakeHave;
    this.#handshakeHave += take;
    if (
      before < 1 + HANDSHAKE_BYTES && this.#handshakeHave >= 1 + HANDSHAKE_BYTES
    ) {
      this.send(this.#handshake.slice(1, 1 + HANDSHAKE_BYTES)); // C2 echoes S1
    }
    if (this.#handshakeHave === this.#handshake.length) {
      this.#state = State.Basic;
      this.#command(["connect", 1, {
        app: this.app,
        flashVer: "LNX 9,0,124,2",
        tcUrl: `rtmp://${this.hostname}:${this.port}/${this.app}`,
        fpad: false,
        capabilities: 15,
        audioCodecs: 4071,
        videoCodecs: 252,
        videoFunction: 1,
      }], 0);
    }
    return off + take;
  }

  #readBasic(buf: Uint8Array, off: number, end: number): number {
    if (this.#have === 0) {
      const b = buf[off++]!;
      this.#scratch[0] = b;
      this.#have = 1;
      this.#fmt = b >> 6;
      const low = b & 0x3f;
      this.#basicLen = low === 0 ? 2 : low === 1 ? 3 : 1;
    }
    while (this.#have < this.#basicLen && off < end) {
      this.#scratch[this.#have++] = buf[off++]!;
    }
    if (this.#have < this.#basicLen) return off;
    const s = this.#scratch;
    const csid = this.#basicLen === 1
      ? s[0]! & 0x3f
      : this.#basicLen === 2
      ? 64 + s[1]!
      : 64 + s[1]! + s[2]! * 256;
    let cs = this.#streams.get(csid);
    if (cs === undefined) {
      cs = {
        timestamp: 0,
        delta: 0,
        length: 0,
        type: 0,
        streamId: 0,
        left: 0,
        extended: false,
        body: null,
        bodyPos: 0,
        b0: 0,
        b1: 0,
      };
      this.#streams.set(csid, cs);
    }
    this.#cs = cs;
    this.#have = 0;
    this.#need = HEADER_BYTES_BY_FMT[this.#fmt as 0 | 1 | 2 | 3];
    this.#state = State.MessageHeader;
    if (this.#need === 0) this.#headerDone();
    return off;
  }

  #headerDone(): void {
    const cs = this.#cs!;
    const s = this.#scratch;
    const fmt = this.#fmt;
    if (fmt <= 2) {
      const field = (s[0]! << 16) | (s[1]! << 8) | s[2]!;
      cs.extended = field === 0xffffff;
      if (fmt <= 1) {
        cs.length = (s[3]! << 16) | (s[4]! << 8) | s[5]!;
        cs.type = s[6]!;
      }
      if (fmt === 0) {
        cs.streamId = s[7]! | (s[8]! << 8) | (s[9]! << 16) | (s[10]! << 24);
      }
      if (!cs.extended) this.#applyTimestamp(cs, fmt, field);
    }
    if (cs.extended) {
      this.#have = 0;
      this.#need = 4;
      this.#state = State.ExtendedTs;
      return;
    }
    if (fmt === 3 && cs.left === 0) cs.timestamp += cs.delta;
    this.#startPayload(cs);
  }

  #extendedDone(): void {
    const cs = this.#cs!;
    const s = this.#scratch;
    const value = ((s[0]! << 24) | (s[1]! << 16) | (s[2]! << 8) | s[3]!) >>> 0;
    if (this.#fmt <= 2) this.#applyTimestamp(cs, this.#fmt, value);
    else if (cs.left === 0) cs.timestamp += cs.delta;
    this.#startPayload(cs);
  }

  #applyTimestamp(cs: ChunkStream, fmt: number, value: number): void {
    if (fmt === 0) {
      cs.timestamp = value;
      cs.delta = 0;
    } else {
      cs.delta = value;
      cs.timestamp += value;
    }
  }

  #startPayload(cs: ChunkStream): void {
    if (cs.left === 0) {
      cs.left = cs.length;
      cs.bodyPos = 0;
      const keep = cs.type !== 8 && cs.type !== 9 &&
        cs.length <= MAX_CONTROL_BODY_BYTES;
      cs.body = keep ? new Uint8Array(cs.length) : null;
    }
    this.#have = Math.min(this.#inChunkSize, cs.left); // bytes left in this chunk
    this.#state = State.Payload;
    if (this.#have === 0) this.#messageDone(cs, performance.now());
  }

  #readPayload(buf: Uint8Array, off: number, end: number, now: number): number {
    const cs = this.#cs!;
    const take = Math.min(this.#have, end - off);
    if (cs.body !== null) {
      cs.body.set(buf.subarray(off, off + take), cs.bodyPos);
    } else {
      if (cs.bodyPos === 0 && take > 0) cs.b0 = buf[off]!;
      if (cs.bodyPos <= 1 && cs.bodyPos + take > 1) {
        cs.b1 = buf[off + 1 - cs.bodyPos]!;
      }
    }
    cs.bodyPos += take;
    cs.left -= take;
    this.#have -= take;
    off += take;
    if (this.#have === 0) {
      if (cs.left === 0) this.#messageDone(cs, now);
      else this.#nextChunk();
    }
    return off;
  }

  #nextChunk(): void {
    this.#have = 0;
    this.#state = State.Basic;
  }

  #messageDone(cs: ChunkStream, now: number): void {
    this.#nextChunk();
    const body = cs.body;
    cs.body = null;
    if (cs.type === 8 || cs.type === 9) {
      this.messages++;
      this.media(cs.timestamp, now);
      if (cs.type === 9 && cs.bodyPos >= 2 && isKeyframePicture(cs.b0, cs.b1)) {
        this.keyframeComplete(now);
      }
      return;
    }
    if (body === null) return;
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    switch (cs.type) {
      case 1: // Set Chunk Size
        if (body.length >= 4) {
          this.#inChunkSize = view.getUint32(0) & 0x7fffffff;
        }
        break;
      case 2: // Abort
        if (body.length >= 4) {
          const target = this.#streams.get(view.getUint32(0));
          if (target !== undefined) target.left = 0;
        }
        break;
      case 4: // User Control: answer PingRequest (6) with PingResponse (7)
        if (body.length >= 6 && view.getUint16(0) === 6) {
          const reply = new Uint8Array(6);
          reply.set(body.subarray(2, 6), 2);
          reply[1] = 7;
          this.#sendMessage(2, 4, 0, reply);
        }
        break;
      case 5: // Window Acknowledgement Size
        if (body.length >= 4) this.#ackWindow = view.getUint32(0);
        break;
      case 17: // AMF3 command: one leading format byte, then AMF0 values
        this.#onCommand(body.subarray(1));
        break;
      case 20:
        this.#onCommand(body);
        break;
    }
  }

  #onCommand(body: Uint8Array): void {
    let values: Amf0Value[];
    try {
      values = decodeAmf0(body);
    } catch (e) {
      this.fail(`bad command: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const [name, txn] = values;
    if (name === "_result" && txn === 1) {
      this.#command(["createStream", 2, null], 0);
    } else if (name === "_result" && txn === 2) {
      const id = values[3];
      this.#playStreamId = typeof id === "number" ? id : 1;
      const setBuffer = new Uint8Array(10);
      setBuffer[1] = 3; // SetBufferLength
      setBuffer.set(u32(this.#playStreamId), 2);
      setBuffer.set(u32(3000), 6);
      this.#command(["play", 0, null, this.name, -2], this.#playStreamId, 8);
      this.#sendMessage(2, 4, 0, setBuffer);
    } else if (name === "_error") {
      this.fail(`command error: ${JSON.stringify(values)}`);
    } else if (name === "onStatus") {
      const info = values[3];
      if (
        info !== null && typeof info === "object" && !Array.isArray(info) &&
        !(info instanceof Date)
      ) {
        if (info.level === "error") this.fail(`onStatus ${String(info.code)}`);
      }
    }
  }

  #command(values: Amf0Value[], streamId: number, csid = 3): void {
    this.#sendMessage(csid, 20, streamId, encodeAmf0(values));
  }

  /** Sends one message as fmt-0 + fmt-3 chunks of `OUT_CHUNK_SIZE`. */
  #sendMessage(
    csid: number,
    type: number,
    streamId: number,
    body: Uint8Array,
  ): void {
    const chunks = Math.max(1, Math.ceil(body.length / OUT_CHUNK_SIZE));
    const out = new Uint8Array(12 + (chunks - 1) + body.length);
    out[0] = csid; // fmt 0, csid < 64
    out[4] = (body.length >> 16) & 0xff;
    out[5] = (body.length >> 8) & 0xff;
    out[6] = body.length & 0xff;
    out[7] = type;
    new DataView(out.buffer).setUint32(8, streamId, true);
    let pos = 12;
    for (let i = 0; i < chunks; i++) {
      if (i > 0) out[pos++] = 0xc0 | csid;
      const part = body.subarray(i * OUT_CHUNK_SIZE, (i + 1) * OUT_CHUNK_SIZE);
      out.set(part, pos);
      pos += part.length;
    }
    this.send(out);
  }
}

function u32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0);
  return b;
}
