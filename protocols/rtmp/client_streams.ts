/**
 * The two stream roles of an {@linkcode RtmpClient}: {@linkcode RtmpPublisher}
 * (frames → chunk bytes on the created message stream, batches in one write)
 * and {@linkcode RtmpPlayer} (media messages → frames in a bounded
 * `ReadableStream`).
 *
 * Specification: Adobe RTMP 1.0 §7.1.5 (audio/video messages), §7.1.2 (data
 * messages, `@setDataFrame`/`onMetaData`), §7.2.2 (NetStream onStatus).
 *
 * Memory: the publisher keeps nothing; the player's queue holds at most its
 * high-water mark of frames, then stops the connection's read loop.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import {
  Amf0EcmaArray,
  type Amf0Object,
  type Amf0Value,
} from "../../media/flv/mod.ts";
import type { RtmpMessage } from "./chunk_reader.ts";
import { chunkFrame } from "./frame_chunk_cache.ts";
import { MediaIngest } from "./media_ingest.ts";
import { ChunkStreamId, commandMessage, MessageType } from "./messages.ts";

/**
 * What a stream role needs from its connection (implemented by
 * {@linkcode RtmpClient}).
 */
export interface ClientChannel {
  /** The message stream id from createStream. */
  readonly streamId: number;
  /** Outgoing chunk size. */
  readonly chunkSize: number;
  /** Queue bytes for writing, in order. */
  write(...parts: Uint8Array[]): Promise<void>;
  /** Send a command with transaction id 0 (no answer expected). */
  send(name: string, args: Amf0Value[]): Promise<void>;
}

/**
 * Writes frames to a stream published with {@linkcode RtmpClient.publish}.
 *
 * @example
 * ```ts ignore
 * import { RtmpClient } from "@arcly/stream/rtmp";
 *
 * const client = await RtmpClient.connect("rtmp://127.0.0.1:1935/live");
 * const publisher = await client.publish("cam");
 * await publisher.writeFrames([config, keyframe]);
 * await publisher.close();
 * ```
 */
export class RtmpPublisher {
  #channel: ClientChannel;
  #name: string;
  #closed = false;

  /**
   * Made by {@linkcode RtmpClient.publish}.
   *
   * @param channel the connection
   * @param name the published name
   */
  constructor(channel: ClientChannel, name: string) {
    this.#channel = channel;
    this.#name = name;
  }

  /** The published stream name (with its query, as sent). */
  get name(): string {
    return this.#name;
  }

  /**
   * Send one frame (config frames become sequence headers).
   *
   * @param frame the frame
   * @returns resolves when the bytes were handed to the socket
   */
  write(frame: MediaFrame): Promise<void> {
    return this.#channel.write(this.#bytesOf(frame));
  }

  /**
   * Send a batch of frames in one socket write.
   *
   * @param frames the frames, in decode order
   * @returns resolves when written
   */
  writeFrames(frames: readonly MediaFrame[]): Promise<void> {
    let total = 0;
    const parts = frames.map((f) => {
      const b = this.#bytesOf(f);
      total += b.length;
      return b;
    });
    const out = new Uint8Array(total);
    let o = 0;
    for (const b of parts) {
      out.set(b, o);
      o += b.length;
    }
    return this.#channel.write(out);
  }

  /**
   * Send `@setDataFrame onMetaData` with the given properties.
   *
   * @param properties e.g. `{ width: 1280, height: 720, videocodecid: 7 }`
   * @returns resolves when written
   */
  writeMetadata(properties: Amf0Object): Promise<void> {
    return this.#channel.write(
      commandMessage(
        ["@setDataFrame", "onMetaData", new Amf0EcmaArray(properties)],
        {
          typeId: MessageType.DataAmf0,
          csid: ChunkStreamId.Data,
          streamId: this.#channel.streamId,
          chunkSize: this.#channel.chunkSize,
        },
      ),
    );
  }

  #bytesOf(frame: MediaFrame): Uint8Array {
    return chunkFrame(frame, {
      chunkSize: this.#channel.chunkSize,
      streamId: this.#channel.streamId,
    });
  }

  /** Stop publishing: FCUnpublish and deleteStream (the connection stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#channel.send("FCUnpublish", [this.#name]);
    await this.#channel.send("deleteStream", [this.#channel.streamId]);
  }
}

/**
 * Frames of a stream played with {@linkcode RtmpClient.play}. Iterate it or
 * read {@linkcode RtmpPlayer.readable}; it ends when the server reports the
 * end of the stream or the connection closes.
 *
 * @example
 * ```ts ignore
 * import { RtmpClient } from "@arcly/stream/rtmp";
 *
 * const client = await RtmpClient.connect("rtmp://127.0.0.1:1935/live");
 * for await (const frame of await client.play("cam")) {
 *   if (frame.keyframe) break;
 * }
 * await client.close();
 * ```
 */
export class RtmpPlayer implements AsyncIterable<MediaFrame> {
  #channel: ClientChannel;
  #ingest = new MediaIngest();
  #controller!: ReadableStreamDefaultController<MediaFrame>;
  #room: (() => void) | null = null;
  #done = false;
  #metadata: Amf0Value = undefined;
  #statuses: Amf0Value[] = [];
  /** The frames, pull-based; cancelling it stops playback. */
  readonly readable: ReadableStream<MediaFrame>;

  /**
   * Made by {@linkcode RtmpClient.play}.
   *
   * @param channel the connection
   * @param highWaterMark frames queued before the read loop pauses
   */
  constructor(channel: ClientChannel, highWaterMark: number) {
    this.#channel = channel;
    this.readable = new ReadableStream<MediaFrame>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => this.#wake(),
      cancel: () => {
        this.#finish();
        this.#channel.send("deleteStream", [this.#channel.streamId]).catch(
          () => {},
        );
      },
    }, new CountQueuingStrategy({ highWaterMark }));
  }

  /** The last onMetaData object received. */
  get metadata(): Amf0Value {
    return this.#metadata;
  }

  /** onStatus infos received after Play.Start. */
  get statuses(): readonly Amf0Value[] {
    return this.#statuses;
  }

  /** @internal the connection learned the real stream id */
  attach(channel: ClientChannel): void {
    this.#channel = channel;
  }

  /** @internal queue the frames of a media message, waiting for room */
  async push(message: RtmpMessage): Promise<void> {
    if (this.#done) return;
    const { frames, metadata } = this.#ingest.toFrames(message);
    if (metadata !== undefined) this.#metadata = metadata;
    for (const frame of frames) {
      if (this.#done) return;
      this.#controller.enqueue(frame);
    }
    while (!this.#done && (this.#controller.desiredSize ?? 1) <= 0) {
      await new Promise<void>((resolve) => (this.#room = resolve));
    }
  }

  /** @internal an onStatus for this stream */
  onStatus(info: Amf0Value): void {
    this.#statuses.push(info);
    const code = info !== null && typeof info === "object"
      ? (info as Record<string, Amf0Value>).code
      : undefined;
    if (
      code === "NetStream.Play.UnpublishNotify" ||
      code === "NetStream.Play.Stop" || code === "NetStream.Play.Complete"
    ) this.end();
  }

  /** @internal end the stream (error: the connection failed) */
  end(error?: unknown): void {
    if (this.#done) return;
    this.#finish();
    if (error === undefined) this.#controller.close();
    else this.#controller.error(error);
  }

  #finish(): void {
    this.#done = true;
    this.#wake();
  }

  #wake(): void {
    const room = this.#room;
    this.#room = null;
    room?.();
  }

  /** Iterate the frames. */
  [Symbol.asyncIterator](): AsyncIterator<MediaFrame> {
    return this.readable[Symbol.asyncIterator]();
  }
}
