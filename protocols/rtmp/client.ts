/**
 * {@linkcode RtmpClient}: connects to any RTMP server (ours, ffmpeg's
 * listener, nginx-rtmp, node-media-server) over TCP or TLS and publishes
 * frames to it ({@linkcode RtmpPublisher}) or plays from it
 * ({@linkcode RtmpPlayer}).
 *
 * Specification: Adobe RTMP 1.0 §5.2 (handshake, digest form by default),
 * §7.2.1.1 connect, §7.2.1.3 createStream, §7.2.2.1 play, §7.2.2.6 publish.
 *
 * Data path: one read loop per connection feeds a {@linkcode ChunkReader};
 * command answers resolve pending calls; media messages become frames
 * (views into the message payload) queued in the player's `ReadableStream`,
 * whose high-water mark bounds memory: when it is full the read loop stops
 * reading, so TCP pushes back on the server. Writes go through one queue.
 *
 * @module
 */
import type { Amf0Value } from "../../media/flv/mod.ts";
import { decodeAmf0 } from "../../media/flv/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import { closeQuietly } from "../net/mod.ts";
import { WriteQueue } from "./_conn_io.ts";
import { describe, isStatus, refusal, withTimeout } from "./_client_util.ts";
import type { RtmpClientOptions } from "./client_options.ts";
import { ChunkReader, type RtmpMessage } from "./chunk_reader.ts";
import {
  createClientAck,
  createClientHello,
  HANDSHAKE_SIZE,
} from "./handshake.ts";
import {
  acknowledgementMessage,
  commandMessage,
  MessageType,
  setBufferLengthMessage,
  setChunkSizeMessage,
  UserControlEvent,
  userControlMessage,
} from "./messages.ts";
import {
  type ClientChannel,
  RtmpPlayer,
  RtmpPublisher,
} from "./client_streams.ts";

export { RtmpPlayer, RtmpPublisher } from "./client_streams.ts";

interface Pending {
  resolve: (values: Amf0Value[]) => void;
  reject: (error: unknown) => void;
}

/**
 * An RTMP client connection.
 *
 * @example Publish then play (needs a server)
 * ```ts ignore
 * import { RtmpClient } from "@arcly/stream/rtmp";
 *
 * await using client = await RtmpClient.connect("rtmp://127.0.0.1:1935/live");
 * const publisher = await client.publish("cam?token=secret");
 * await publisher.write(frame);
 * await publisher.close();
 * ```
 */
export class RtmpClient implements AsyncDisposable {
  #conn: Deno.Conn;
  #queue: WriteQueue;
  #reader = new ChunkReader();
  #options: RtmpClientOptions;
  #chunkSize: number;
  #tx = 1;
  #pending = new Map<number, Pending>();
  #statusWaiters: Array<(info: Amf0Value) => void> = [];
  #statusQueue: Amf0Value[] = [];
  #opening = false;
  #player: RtmpPlayer | null = null;
  #window = 2_500_000;
  #lastAck = 0;
  #closed: Promise<void>;
  #error: unknown = undefined;
  #url: URL;

  private constructor(conn: Deno.Conn, url: URL, options: RtmpClientOptions) {
    this.#conn = conn;
    this.#url = url;
    this.#options = options;
    this.#chunkSize = options.chunkSize ?? 60000;
    this.#queue = new WriteQueue(conn);
    this.#closed = Promise.resolve();
  }

  /**
   * Connect, handshake and send `connect` for the app in the URL's first path
   * segment (`rtmp://host[:port]/app`; `rtmps://` uses TLS).
   *
   * @param url the server URL
   * @param options timeouts, TLS CA, chunk size
   * @returns the connected client
   * @throws {StreamError} `Timeout`, `Protocol`, or `Unauthorized` when connect is refused
   */
  static async connect(
    url: string | URL,
    options: RtmpClientOptions = {},
  ): Promise<RtmpClient> {
    const u = new URL(url);
    const tls = u.protocol === "rtmps:";
    if (!tls && u.protocol !== "rtmp:") {
      throw new StreamError(
        "InvalidInput",
        `Cannot connect to ${u.protocol}: only rtmp: and rtmps: are supported`,
      );
    }
    const port = u.port === "" ? (tls ? 443 : 1935) : Number(u.port);
    const hostname = u.hostname.replace(/^\[|\]$/g, "");
    const timeout = options.timeoutMs ?? 10_000;
    const conn = await withTimeout<Deno.Conn>(
      tls
        ? Deno.connectTls({
          hostname,
          port,
          ...(options.caCerts ? { caCerts: options.caCerts } : {}),
        })
        : Deno.connect({ hostname, port }),
      timeout,
      "connect",
    );
    const client = new RtmpClient(conn, u, options);
    options.signal?.addEventListener("abort", () => closeQuietly(conn), {
      once: true,
    });
    try {
      await withTimeout(client.#start(), timeout, "connect");
    } catch (error) {
      closeQuietly(conn);
      await client.#closed;
      throw error;
    }
    return client;
  }

  async #start(): Promise<void> {
    const hello = createClientHello({
      digest: this.#options.digestHandshake ?? true,
    });
    await this.#queue.write(hello);
    const s0s1s2 = await this.#readExact(1 + 2 * HANDSHAKE_SIZE);
    if (s0s1s2[0] !== 3) {
      throw new StreamError(
        "Protocol",
        `Cannot handshake: server version ${s0s1s2[0]} is not 3`,
      );
    }
    const s1 = s0s1s2.subarray(1, 1 + HANDSHAKE_SIZE);
    await this.#queue.writeParts([
      createClientAck(s1),
      setChunkSizeMessage(this.#chunkSize),
    ]);
    this.#closed = this.#readLoop();
    const app = this.#url.pathname.split("/").filter((s) => s !== "")[0] ?? "";
    const query = this.#url.search;
    const tcUrl = `${this.#url.protocol}//${this.#url.host}/${app}${query}`;
    const [, , , info] = await this.#call("connect", [{
      app: app + query,
      type: "nonprivate",
      flashVer: "FMLE/3.0 (compatible; arcly)",
      tcUrl,
      fpad: false,
      capabilities: 15,
      audioCodecs: 3191,
      videoCodecs: 252,
      videoFunction: 1,
      objectEncoding: 0,
      fourCcList: ["hvc1", "av01", "vp09", "avc1", "Opus", "mp4a"],
      ...this.#options.connectProperties,
    }]);
    if (!isStatus(info ?? null, "NetConnection.Connect.Success")) {
      throw refusal("connect to", app, info ?? null);
    }
  }

  async #readExact(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const got = await this.#conn.read(out.subarray(filled));
      if (got === null) {
        throw new StreamError(
          "Protocol",
          `Cannot handshake: connection closed after ${filled} of ${n} bytes`,
        );
      }
      filled += got;
    }
    return out;
  }

  async #readLoop(): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        for (const message of this.#reader.feed(buf.subarray(0, n))) {
          await this.#dispatch(message);
        }
        const received = this.#reader.bytesReceived;
        if (received - this.#lastAck >= this.#window) {
          this.#lastAck = received;
          await this.#queue.write(acknowledgementMessage(received));
        }
      }
    } catch (error) {
      this.#error = error;
    } finally {
      const error = new StreamError(
        "Closed",
        "Cannot complete call: connection closed",
        {
          cause: this.#error,
        },
      );
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
      for (const w of this.#statusWaiters) w(null);
      this.#statusWaiters = [];
      this.#player?.end(this.#error);
      closeQuietly(this.#conn);
    }
  }

  async #dispatch(message: RtmpMessage): Promise<void> {
    const t = message.typeId;
    if (t === MessageType.CommandAmf0 || t === MessageType.CommandAmf3) {
      const body = t === MessageType.CommandAmf3
        ? message.payload.subarray(1)
        : message.payload;
      return this.#onCommand(decodeAmf0(body));
    }
    if (t === MessageType.WindowAckSize && message.payload.length >= 4) {
      this.#window = new DataView(
        message.payload.buffer,
        message.payload.byteOffset,
        4,
      ).getUint32(0) ||
        this.#window;
      return;
    }
    if (t === MessageType.UserControl && message.payload.length >= 6) {
      const view = new DataView(
        message.payload.buffer,
        message.payload.byteOffset,
        6,
      );
      const event = view.getUint16(0);
      if (event === UserControlEvent.PingRequest) {
        await this.#queue.write(
          userControlMessage(UserControlEvent.PingResponse, view.getUint32(2)),
        );
      } else if (event === UserControlEvent.StreamEof) this.#player?.end();
      return;
    }
    if (
      t === MessageType.Audio || t === MessageType.Video ||
      t === MessageType.DataAmf0 || t === MessageType.Aggregate
    ) {
      await this.#player?.push(message);
    }
  }

  #onCommand(values: Amf0Value[]): void {
    const [name, tx] = values;
    if (name === "_result" || name === "_error") {
      const pending = this.#pending.get(tx as number);
      if (pending === undefined) return;
      this.#pending.delete(tx as number);
      if (name === "_result") pending.resolve(values);
      else {
        pending.reject(
          new StreamError(
            "Protocol",
            `Cannot complete call: server answered _error ${
              describe(values[3])
            }`,
          ),
        );
      }
    } else if (name === "onStatus") {
      const info = values[3] ?? null;
      const waiter = this.#statusWaiters.shift();
      if (waiter) waiter(info);
      else if (this.#opening) this.#statusQueue.push(info);
      else this.#player?.onStatus(info);
    }
  }

  #call(
    name: string,
    args: Amf0Value[],
    streamId = 0,
  ): Promise<Amf0Value[]> {
    const tx = this.#tx++;
    const result = new Promise<Amf0Value[]>((resolve, reject) => {
      this.#pending.set(tx, { resolve, reject });
    });
    this.#queue.write(
      commandMessage([name, tx, ...args], {
        streamId,
        chunkSize: this.#chunkSize,
      }),
    ).catch(() => {});
    return withTimeout(result, this.#options.timeoutMs ?? 10_000, name);
  }

  #nextStatus(): Promise<Amf0Value> {
    const queued = this.#statusQueue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const status = new Promise<Amf0Value>((resolve) => {
      this.#statusWaiters.push(resolve);
    });
    return withTimeout(status, this.#options.timeoutMs ?? 10_000, "onStatus");
  }

  #channel(streamId: number): ClientChannel {
    return {
      streamId,
      chunkSize: this.#chunkSize,
      write: (...parts) => this.#queue.writeParts(parts),
      send: (name, args) =>
        this.#queue.write(
          commandMessage([name, 0, null, ...args], {
            streamId: name === "deleteStream" ? 0 : streamId,
            chunkSize: this.#chunkSize,
          }),
        ),
    };
  }

  async #openStream(
    prelude: string[],
    name: string,
    command: Amf0Value[],
  ): Promise<{ streamId: number; status: Amf0Value }> {
    this.#opening = true;
    this.#statusQueue = [];
    try {
      return await this.#openStreamUnguarded(prelude, name, command);
    } finally {
      this.#opening = false;
      for (const info of this.#statusQueue) this.#player?.onStatus(info);
      this.#statusQueue = [];
    }
  }

  async #openStreamUnguarded(
    prelude: string[],
    name: string,
    command: Amf0Value[],
  ): Promise<{ streamId: number; status: Amf0Value }> {
    for (const call of prelude) {
      this.#call(call, [null, name]).catch(() => {});
    }
    const created = await this.#call("createStream", [null]);
    const streamId = typeof created[3] === "number" ? created[3] : 1;
    const status = this.#nextStatus();
    await this.#queue.write(
      commandMessage(command, { streamId, chunkSize: this.#chunkSize }),
    );
    let info = await status;
    // skip informational statuses (Play.Reset) until Start or an error
    while (isStatus(info, "NetStream.Play.Reset")) {
      info = await this.#nextStatus();
    }
    return { streamId, status: info };
  }

  /**
   * Publish a live stream: releaseStream, FCPublish, createStream, publish.
   *
   * @param name the stream name, may carry a query (`"cam?token=x"`)
   * @returns a publisher once the server answered NetStream.Publish.Start
   * @throws {StreamError} `Unauthorized`/`AlreadyPublishing` when refused
   */
  async publish(name: string): Promise<RtmpPublisher> {
    const { streamId, status } = await this.#openStream(
      ["releaseStream", "FCPublish"],
      name,
      ["publish", 0, null, name, "live"],
    );
    if (!isStatus(status, "NetStream.Publish.Start")) {
      throw refusal("publish", name, status);
    }
    return new RtmpPublisher(this.#channel(streamId), name);
  }

  /**
   * Play a live stream: createStream, play (start -2 = live or recorded).
   *
   * @param name the stream name, may carry a query
   * @param options `highWaterMark`: frames buffered before reading pauses (default 256)
   * @returns a player once the server answered NetStream.Play.Start
   * @throws {StreamError} `NotFound`/`Unauthorized` when refused
   */
  async play(
    name: string,
    options: { highWaterMark?: number } = {},
  ): Promise<RtmpPlayer> {
    const player = new RtmpPlayer(
      this.#channel(1),
      options.highWaterMark ?? 256,
    );
    this.#player = player;
    await this.#queue.write(setBufferLengthMessage(0, 1000));
    const { streamId, status } = await this.#openStream([], name, [
      "play",
      0,
      null,
      name,
      -2,
      -1,
      true,
    ]);
    if (!isStatus(status, "NetStream.Play.Start")) {
      this.#player = null;
      player.end();
      throw refusal("play", name, status);
    }
    player.attach(this.#channel(streamId));
    return player;
  }

  /** The error that ended the read loop, if any. */
  get error(): unknown {
    return this.#error;
  }

  /** Resolves when the connection is closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Close the connection (pending calls reject with `Closed`). */
  async close(): Promise<void> {
    await this.#queue.drain();
    this.#player?.end(); // wakes a read loop waiting for room in the player's queue
    closeQuietly(this.#conn);
    await this.#closed;
  }

  /** Same as {@linkcode RtmpClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
