/**
 * {@linkcode RtmpSession}: the server side of one RTMP connection as a pure,
 * socket-free state machine. Bytes go in through `feed()`; actions come out:
 * bytes to send, and requests (publish, play, frames, …) for the host, which
 * answers asynchronous ones with `acceptPublish()`/`refusePublish()`, etc.
 *
 * Specification: Adobe RTMP 1.0 §5.2 (handshake), §5.3–§5.4 (chunks and
 * protocol control), §7.2.1 (NetConnection commands: connect, createStream,
 * deleteStream), §7.2.2 (NetStream commands: play, publish, deleteStream and
 * the onStatus codes), plus the FMS-era calls encoders send (releaseStream,
 * FCPublish, FCUnpublish, getStreamLength, _checkbw) which get harmless
 * answers.
 *
 * States: handshake (C0+C1) → handshake ack (C2) → chunk stream. Per stream:
 * idle → publish-pending → publishing, or idle → play-pending → playing.
 * Memory: the {@linkcode ChunkReader} limits, one 1537-byte handshake buffer
 * (dropped after the handshake), and nothing per frame.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { type Amf0Value, decodeAmf0 } from "../../media/flv/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import { ChunkReader, type RtmpMessage } from "./chunk_reader.ts";
import { createServerHandshake, HANDSHAKE_SIZE } from "./handshake.ts";
import { MediaIngest } from "./media_ingest.ts";
import {
  DEFAULT_OUT_CHUNK_SIZE,
  DEFAULT_WINDOW_ACK_SIZE,
  MAX_HELD_FRAMES,
  type RtmpSessionOptions,
  type RtmpStreamState,
  type SessionAction,
} from "./session_types.ts";
import {
  acknowledgementMessage,
  MessageType,
  UserControlEvent,
  userControlMessage,
} from "./messages.ts";
import { type CommandValues, statusMessage } from "./_session_util.ts";
import {
  commandKind,
  parseConnect,
  parsePlay,
  parsePublish,
  statelessAnswer,
} from "./_commands.ts";
import {
  connectReplies,
  playEndMessages,
  playStartMessages,
  publishStartMessages,
} from "./_replies.ts";

type Phase = "c0c1" | "c2" | "chunks";

/**
 * Server-side RTMP connection state machine.
 *
 * @example Handshake
 * ```ts
 * import { createClientHello, RtmpSession } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const session = new RtmpSession();
 * const actions = session.feed(createClientHello());
 * assert.equal(actions[0]?.type, "send");
 * ```
 */
export class RtmpSession {
  #phase: Phase = "c0c1";
  /** C0+C1 collected here only when it arrives in pieces. */
  #hs: Uint8Array | null = null;
  #hsFill = 0;
  #reader: ChunkReader;
  #messagesReceived = 0;
  /** The publisher's frame mapping (created by `publish`; a player has none). */
  #ingest: MediaIngest | null = null;
  #chunkSize: number;
  #options: RtmpSessionOptions;
  #state: RtmpStreamState = "idle";
  #app = "";
  /** The query of `connect` (none before it). */
  #connectQuery: URLSearchParams | null = null;
  #tcUrl = "";
  #pendingTx = 0;
  /** Frames between `publish` and its acceptance (a publisher only). */
  #held: MediaFrame[] | null = null;
  #playReset = true;
  #peerWindow = DEFAULT_WINDOW_ACK_SIZE;
  #lastAck = 0;

  /**
   * Create a session waiting for C0+C1.
   *
   * @param options chunk size, limits, handshake randomness
   */
  constructor(options: RtmpSessionOptions = {}) {
    this.#options = options;
    this.#chunkSize = options.chunkSize ?? DEFAULT_OUT_CHUNK_SIZE;
    // the limits as they are (no object of its own per connection)
    this.#reader = new ChunkReader(options);
  }

  /**
   * Complete messages received so far. Progress is counted in messages, not
   * bytes: a peer that trickles a message that never completes makes none.
   */
  get messagesReceived(): number {
    return this.#messagesReceived;
  }

  /** True once the handshake is complete. */
  get handshakeDone(): boolean {
    return this.#phase === "chunks";
  }

  /** The application from `connect` ("" before it). */
  get app(): string {
    return this.#app;
  }

  /** The per-stream state. */
  get state(): RtmpStreamState {
    return this.#state;
  }

  /** The outgoing chunk size (after connect). */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /**
   * Consume bytes from the client.
   *
   * @param bytes any number of bytes
   * @returns the actions, in order
   * @throws {StreamError} `Protocol`/`LimitExceeded` on a fatal violation (close the connection)
   */
  feed(bytes: Uint8Array): SessionAction[] {
    const out: SessionAction[] = [];
    let p = 0;
    if (this.#phase !== "chunks") {
      p = this.#handshake(bytes, out);
      if ((this.#phase as Phase) !== "chunks" || p >= bytes.length) return out;
    }
    const messages = this.#reader.feed(p === 0 ? bytes : bytes.subarray(p));
    this.#messagesReceived += messages.length;
    for (const message of messages) this.#onMessage(message, out);
    this.#maybeAck(out);
    return out;
  }

  // Per connection the handshake allocates only S0+S1+S2: C0+C1 is read
  // where it lies when one read brings it whole (a copy only when it comes
  // in pieces), and C2 (not checked, as by every server) is skipped.
  #handshake(bytes: Uint8Array, out: SessionAction[]): number {
    if (this.#phase === "c2") {
      const n = Math.min(HANDSHAKE_SIZE - this.#hsFill, bytes.length);
      this.#hsFill += n;
      if (this.#hsFill < HANDSHAKE_SIZE) return n;
      this.#hsFill = 0;
      this.#phase = "chunks";
      return n;
    }
    const need = HANDSHAKE_SIZE + 1;
    let c0c1: Uint8Array;
    let n: number;
    if (this.#hsFill === 0 && bytes.length >= need) {
      c0c1 = bytes.subarray(0, need);
      n = need;
    } else {
      const hs = this.#hs ??= new Uint8Array(need);
      n = Math.min(need - this.#hsFill, bytes.length);
      hs.set(bytes.subarray(0, n), this.#hsFill);
      this.#hsFill += n;
      if (this.#hsFill < need) return n;
      this.#hsFill = 0;
      this.#hs = null;
      c0c1 = hs;
    }
    out.push({
      type: "send",
      bytes: createServerHandshake(c0c1, this.#options.handshake),
    });
    this.#phase = "c2";
    return n + this.#handshake(bytes.subarray(n), out);
  }

  #maybeAck(out: SessionAction[]): void {
    const received = this.#reader.bytesReceived;
    if (received - this.#lastAck >= this.#peerWindow) {
      this.#lastAck = received;
      out.push({ type: "send", bytes: acknowledgementMessage(received) });
    }
  }

  #onMessage(message: RtmpMessage, out: SessionAction[]): void {
    switch (message.typeId) {
      case MessageType.WindowAckSize:
        if (message.payload.length >= 4) {
          const size = new DataView(
            message.payload.buffer,
            message.payload.byteOffset,
            4,
          ).getUint32(0);
          if (size > 0) this.#peerWindow = size;
        }
        return;
      case MessageType.UserControl:
        return this.#onUserControl(message.payload, out);
      case MessageType.CommandAmf0:
        return this.#onCommand(decodeAmf0(message.payload), out);
      case MessageType.CommandAmf3:
        return this.#onAmf3Command(message.payload, out);
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
      case MessageType.Aggregate:
        return this.#onMedia(message, out);
      case MessageType.DataAmf3:
      case MessageType.SharedObjectAmf0:
      case MessageType.SharedObjectAmf3:
        throw new StreamError(
          "Unsupported",
          `Cannot handle RTMP message type ${message.typeId}: AMF3 data and shared objects are not supported`,
        );
      default:
        return; // set chunk size/abort applied by the reader; acks ignored
    }
  }

  #onUserControl(payload: Uint8Array, out: SessionAction[]): void {
    if (payload.length < 6) return;
    const view = new DataView(payload.buffer, payload.byteOffset, 6);
    if (view.getUint16(0) === UserControlEvent.PingRequest) {
      out.push({
        type: "send",
        bytes: userControlMessage(
          UserControlEvent.PingResponse,
          view.getUint32(2),
        ),
      });
    }
  }

  #onAmf3Command(payload: Uint8Array, out: SessionAction[]): void {
    // An AMF3 command message starts with a 0x00 format byte; clients that
    // asked for objectEncoding 3 were told 0, so only AMF0 values follow.
    if (payload[0] !== 0) {
      throw new StreamError(
        "Unsupported",
        "Cannot decode AMF3 command: only AMF0 object encoding is supported",
      );
    }
    this.#onCommand(decodeAmf0(payload.subarray(1)), out);
  }

  #onMedia(message: RtmpMessage, out: SessionAction[]): void {
    const pending = this.#state === "publishPending";
    if (this.#state !== "publishing" && !pending) return;
    try {
      const { frames, metadata } = this.#ingest!.toFrames(message);
      if (pending) {
        // media sent right behind `publish`, before the host authorized it
        const held = this.#held ??= [];
        for (const f of frames) {
          if (held.length < MAX_HELD_FRAMES) held.push(f);
        }
        return;
      }
      if (metadata !== undefined) {
        out.push({ type: "metadata", value: metadata });
      }
      if (frames.length > 0) out.push({ type: "frames", frames });
    } catch (error) {
      if (!(error instanceof StreamError)) throw error;
      out.push({ type: "decodeError", error });
    }
  }

  #send(out: SessionAction[], bytes: Uint8Array): void {
    out.push({ type: "send", bytes });
  }

  #onCommand(values: CommandValues, out: SessionAction[]): void {
    const [name, tx] = values;
    const txId = typeof tx === "number" ? tx : 0;
    if (typeof name !== "string") {
      throw new StreamError(
        "Protocol",
        "Cannot handle command: its name is not a string",
      );
    }
    const kind = commandKind(name);
    if (kind === "connect") return this.#onConnect(txId, values[2], out);
    if (this.#app === "") {
      throw new StreamError(
        "Protocol",
        `Cannot handle command ${
          name.slice(0, 64)
        }: connect has not been received`,
      );
    }
    if (kind === "publish") return this.#onPublish(txId, values, out);
    if (kind === "play") return this.#onPlay(txId, values, out);
    if (kind === "stop") return this.#onStop(out);
    if (kind === "answered") {
      const answer = statelessAnswer(name, txId, this.#chunkSize);
      if (answer !== null) this.#send(out, answer);
    }
  }

  #onConnect(txId: number, object: Amf0Value, out: SessionAction[]): void {
    if (this.#app !== "") {
      throw new StreamError("Protocol", "Cannot connect: already connected");
    }
    const { app, tcUrl, query } = parseConnect(object);
    this.#app = app === "" ? "_" : app;
    this.#connectQuery = query;
    this.#tcUrl = tcUrl;
    for (const bytes of connectReplies(txId, this.#chunkSize)) {
      this.#send(out, bytes);
    }
    out.push({
      type: "connect",
      app,
      tcUrl,
      query: new URLSearchParams(query),
    });
  }

  #mergedQuery(own: URLSearchParams): URLSearchParams {
    const q = new URLSearchParams(this.#connectQuery ?? undefined);
    for (const [k, v] of own) q.set(k, v);
    return q;
  }

  #busy(out: SessionAction[], code: string): boolean {
    if (this.#state === "idle") return false;
    this.#send(
      out,
      statusMessage("error", code, "Stream is busy", this.#chunkSize),
    );
    return true;
  }

  #onPublish(txId: number, values: CommandValues, out: SessionAction[]): void {
    if (this.#busy(out, "NetStream.Publish.BadConnection")) return;
    const { name, query, publishType } = parsePublish(values);
    this.#state = "publishPending";
    this.#pendingTx = txId;
    this.#ingest = new MediaIngest();
    this.#held = null;
    out.push({
      type: "publish",
      name,
      query: this.#mergedQuery(query),
      publishType,
    });
  }

  #onPlay(txId: number, values: CommandValues, out: SessionAction[]): void {
    if (this.#busy(out, "NetStream.Play.Failed")) return;
    const { query, ...args } = parsePlay(values);
    this.#playReset = args.reset;
    this.#state = "playPending";
    this.#pendingTx = txId;
    out.push({ type: "play", ...args, query: this.#mergedQuery(query) });
  }

  #onStop(out: SessionAction[]): void {
    const was = this.#state;
    this.#state = "idle";
    if (was === "publishing" || was === "publishPending") {
      out.push({ type: "unpublish" });
      this.#send(
        out,
        statusMessage(
          "status",
          "NetStream.Unpublish.Success",
          "Stream unpublished",
          this.#chunkSize,
        ),
      );
    } else if (was === "playing" || was === "playPending") {
      out.push({ type: "stopPlay" });
    }
  }

  /**
   * The host accepted the pending publish.
   *
   * @param description text for the onStatus event
   * @returns bytes to send (Stream Begin, NetStream.Publish.Start)
   */
  acceptPublish(description = "Publishing"): Uint8Array[] {
    if (this.#state !== "publishPending") return [];
    this.#state = "publishing";
    return publishStartMessages(description, this.#chunkSize);
  }

  /**
   * The host refused the pending publish; the session returns to idle.
   *
   * @param code e.g. `NetStream.Publish.BadName` (key busy) or `NetStream.Publish.Denied`
   * @param description text for the onStatus event
   * @returns bytes to send
   */
  refusePublish(code: string, description: string): Uint8Array[] {
    if (this.#state !== "publishPending") return [];
    this.#state = "idle";
    this.#held = null;
    return [statusMessage("error", code, description, this.#chunkSize)];
  }

  /**
   * The host accepted the pending play; media follows on {@linkcode MEDIA_STREAM_ID}.
   *
   * @param description text for the onStatus events
   * @returns bytes to send (Stream Begin, Play.Reset when play asked for a
   *   reset, Play.Start, |RtmpSampleAccess)
   */
  acceptPlay(description = "Playing"): Uint8Array[] {
    if (this.#state !== "playPending") return [];
    this.#state = "playing";
    return playStartMessages(description, this.#chunkSize, this.#playReset);
  }

  /**
   * The host refused the pending play; the session returns to idle.
   *
   * @param code e.g. `NetStream.Play.StreamNotFound`
   * @param description text for the onStatus event
   * @returns bytes to send
   */
  refusePlay(code: string, description: string): Uint8Array[] {
    if (this.#state !== "playPending") return [];
    this.#state = "idle";
    return [statusMessage("error", code, description, this.#chunkSize)];
  }

  /**
   * The played stream ended (publisher left): tell the player.
   *
   * @returns bytes to send (Stream EOF, NetStream.Play.UnpublishNotify)
   */
  playEnded(): Uint8Array[] {
    if (this.#state !== "playing") return [];
    this.#state = "idle";
    return playEndMessages(this.#chunkSize);
  }

  /**
   * Frames that arrived between `publish` and {@linkcode RtmpSession.acceptPublish}
   * (at most {@linkcode MAX_HELD_FRAMES}); call once after accepting.
   *
   * @returns the held frames, in order
   */
  takeHeldFrames(): MediaFrame[] {
    const held = this.#held ?? [];
    this.#held = null;
    return held;
  }

  /** The tcUrl from connect. */
  get tcUrl(): string {
    return this.#tcUrl;
  }

  /** The transaction id of the pending publish/play. */
  get pendingTransaction(): number {
    return this.#pendingTx;
  }
}
