/**
 * `RtmpConnection`: one accepted RTMP socket. It feeds bytes to an
 * {@linkcode RtmpSession} and performs its actions against the engine:
 * authorized publish (frames into the stream handle), authorized play (a
 * session of the kernel's egress seam: its first batch, the replay of
 * configs and the cached GOP, goes out at once in the same write as the
 * play replies; then `for await (const bytes of session)` → one write of
 * shared chunk bytes per egress tick), timeouts and cleanup.
 *
 * Latency: the socket runs with Nagle off (`setNoDelay`), and the replies
 * one read produces (connect's control messages and `_result`) go out as one
 * write, so no small write waits for the peer's delayed ACK (40 ms on
 * Linux); a joining player's first keyframe leaves as soon as `play` is
 * authorized.
 *
 * Timeouts: a timer per connection only until `connect` (the handshake
 * timeout); after it, idleness is checked by the handler's one sweep over
 * all its connections ({@linkcode RtmpConnection.sweepIdle}), not by a timer
 * per connection.
 *
 * Memory per connection: a read buffer (2 KiB, 512 bytes once playing, up
 * to 64 KiB for a publisher), the session's bounded reader state, and for a
 * player one pending batch; a player that stops reading
 * blocks its own write, falls behind in the ring and is resynced or evicted
 * by the kernel (eviction closes the socket), never slowing other players.
 *
 * @module
 */
import type { Credentials } from "../../src/auth.ts";
import type { StreamHost } from "../../src/contracts.ts";
import type { StreamHandle } from "../../src/stream_handle.ts";
import { StreamKey } from "../../src/stream_key.ts";
import type { Subscription } from "../../src/subscription.ts";
import type { EgressSession, JoinedEgress } from "../../src/egress.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { StreamError } from "../../media/stream_error.ts";
import { closeQuietly, isDisconnect, noDelay } from "../net/mod.ts";
import { WriteQueue } from "./_conn_io.ts";
import { RtmpSession } from "./session.ts";
import type { SessionAction } from "./session_types.ts";
import { chainOf } from "./_chunk_chain.ts";
import { PlayTimeline } from "./_play_timeline.ts";

/** Settings for one connection (resolved by {@linkcode RtmpHandler}). */
export interface RtmpConnectionOptions {
  /** "rtmp" or "rtmps". */
  protocol: string;
  /** Outgoing chunk size. */
  chunkSize: number;
  /** Time allowed for handshake + connect. */
  handshakeTimeoutMs: number;
  /** Time allowed without traffic. */
  idleTimeoutMs: number;
  /** Largest incoming message. */
  maxMessageBytes?: number;
  /** Most chunk streams. */
  maxChunkStreams?: number;
  /** The handler's RTMP chunk egress (shared caches and egress ticks). */
  egress: JoinedEgress;
}

/**
 * Read buffer: players send a few hundred bytes of commands, publishers a
 * stream, so it starts small and doubles (up to the maximum) whenever a read
 * fills it. It starts at 2 KiB: C0+C1 (1,537 bytes) fits, and so do C2 and
 * `connect`; a crowd of 500 joining players allocates 1 MiB, not 2 MiB, of
 * buffers it drops once they play.
 */
const READ_BUFFER_INITIAL_BYTES = 2 * 1024;
const READ_BUFFER_MAX_BYTES = 64 * 1024;
/**
 * Once the connection plays, its peer sends only acknowledgements, pings
 * and the odd command (tens of bytes, seconds apart): the read that waits
 * for them holds this much, not 4 KiB (500 players: 256 KiB, not 2 MiB). A
 * read that fills it doubles it as above.
 */
const PLAYER_READ_BUFFER_BYTES = 512;

/**
 * One server-side RTMP connection (created by {@linkcode RtmpHandler}).
 *
 * @example
 * ```ts ignore
 * import { RtmpConnection } from "@arcly/stream/rtmp";
 * // Created by RtmpHandler for each accepted socket; run() resolves when it closes.
 * ```
 */
export class RtmpConnection {
  #conn: Deno.Conn;
  #engine: StreamHost;
  #options: RtmpConnectionOptions;
  #session: RtmpSession;
  #queue: WriteQueue;
  #lastActivity: number;
  #cancelTimer: () => void = noop;
  #publishing: StreamHandle | null = null;
  #subscription: Subscription | null = null;
  #egress: Promise<void> = Promise.resolve();
  /** The play duration the client asked for ran out (Play.Stop follows). */
  #durationReached = false;
  #closed = false;
  #remoteAddr: string | undefined;

  /**
   * @param conn the accepted socket
   * @param engine the kernel, through its host contract
   * @param options limits and the shared cache
   */
  constructor(
    conn: Deno.Conn,
    engine: StreamHost,
    options: RtmpConnectionOptions,
  ) {
    this.#conn = conn;
    this.#engine = engine;
    this.#options = options;
    // the handler's options object as it is: chunk size and limits
    this.#session = new RtmpSession(options);
    this.#lastActivity = engine.clock.now();
    this.#queue = new WriteQueue(conn, () => {
      this.#lastActivity = engine.clock.now();
    });
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.#remoteAddr = addr.hostname;
    noDelay(conn);
  }

  /** Bytes queued for this peer and not yet written. */
  get pendingWriteBytes(): number {
    return this.#queue.pendingBytes;
  }

  /**
   * The handler's idle sweep: drop the connection when it has been idle (no
   * complete message read, no write finished) for the idle timeout. Before
   * `connect` the handshake timeout applies instead.
   *
   * @param now the engine clock's time
   */
  sweepIdle(now: number): void {
    if (this.#closed || this.#session.app === "") return;
    const idle = this.#options.idleTimeoutMs;
    if (now - this.#lastActivity >= idle) {
      this.#violation(
        new StreamError(
          "Timeout",
          `Cannot keep RTMP connection: idle for ${idle} ms`,
        ),
      );
    }
  }

  /** Serve the connection until it closes. */
  async run(): Promise<void> {
    this.#cancelTimer = this.#engine.clock.setTimer(
      this.#options.handshakeTimeoutMs,
      () => {
        if (this.#session.app !== "") return;
        this.#violation(
          new StreamError(
            "Timeout",
            "Cannot finish RTMP handshake and connect: timed out",
          ),
        );
      },
    );
    let buf = new Uint8Array(READ_BUFFER_INITIAL_BYTES);
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        const full = n === buf.length && buf.length < READ_BUFFER_MAX_BYTES;
        const before = this.#session.messagesReceived;
        let actions: SessionAction[];
        try {
          actions = this.#session.feed(buf.subarray(0, n));
        } catch (error) {
          this.#violation(error);
          break;
        }
        // Idle means no complete message: a peer trickling bytes of a message
        // that never completes (slowloris) is idle however often it writes.
        if (
          this.#session.messagesReceived !== before ||
          !this.#session.handshakeDone
        ) {
          this.#lastActivity = this.#engine.clock.now();
        }
        // A publisher's reads carry only media (no action waits for
        // anything): performed in place, no promise and no microtask per read.
        const pending = this.#performAll(actions);
        if (pending !== undefined) await pending;
        // A fresh, larger buffer: nothing fed so far can alias the new one.
        if (full) buf = new Uint8Array(buf.length * 2);
        else if (
          this.#subscription !== null && buf.length > PLAYER_READ_BUFFER_BYTES
        ) buf = new Uint8Array(PLAYER_READ_BUFFER_BYTES);
      }
    } catch (error) {
      if (!this.#closed && !isDisconnect(error)) this.#violation(error);
    } finally {
      this.close("connection closed");
      await this.#egress;
    }
  }

  /** Close the socket and release the stream or subscription. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTimer();
    this.#stopPublish(reason);
    this.#subscription?.close(reason);
    this.#subscription = null;
    closeQuietly(this.#conn);
  }

  #violation(error: unknown): void {
    if (this.#closed) return;
    this.#engine.audit.record({
      type: "clientDropped",
      at: this.#engine.clock.now(),
      protocol: this.#options.protocol,
      remoteAddr: this.#remoteAddr,
      code: error instanceof StreamError ? error.code : "Protocol",
      reason: error instanceof StreamError
        ? error.message
        : "protocol violation",
    });
    this.#engine.events.emit({
      type: "handlerError",
      name: this.#options.protocol,
      error: error instanceof StreamError ? error : new StreamError(
        "Protocol",
        `Cannot serve RTMP client ${this.#remoteAddr}: ${String(error)}`,
        { cause: error },
      ),
    });
    this.close("protocol violation");
  }

  async #send(parts: Uint8Array[]): Promise<void> {
    if (parts.length === 0 || this.#closed) return;
    try {
      await this.#queue.writeParts(parts);
    } catch (error) {
      this.#writeFailed(error);
    }
  }

  #writeFailed(error: unknown): void {
    if (!this.#closed && !isDisconnect(error)) this.#violation(error);
    this.close("write failed");
  }

  #credentials(query: URLSearchParams): Credentials {
    const token = query.get("token");
    return {
      protocol: this.#options.protocol,
      ...(this.#remoteAddr === undefined
        ? {}
        : { remoteAddr: this.#remoteAddr }),
      query,
      ...(token === null ? {} : { token }),
    };
  }

  /**
   * Carry out the actions of one read: the leading media actions (all of a
   * publisher's, after setup) at once, in order; from the first other
   * action on, the rest in {@linkcode RtmpConnection.#performFrom}. Returns
   * its promise, or undefined when nothing was left to wait for.
   */
  #performAll(actions: SessionAction[]): Promise<void> | undefined {
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!;
      if (action.type === "frames") this.#publishFrames(action.frames);
      else if (action.type !== "metadata") return this.#performFrom(actions, i);
    }
    return undefined;
  }

  #publishFrames(frames: readonly MediaFrame[]): void {
    const handle = this.#publishing;
    if (handle === null) return;
    for (let i = 0; i < frames.length; i++) handle.publishFrame(frames[i]!);
  }

  /**
   * Carry out the actions from `start` on, in order. Consecutive replies
   * (connect's four control messages and `_result`, createStream's
   * `_result`) go out as one write: one segment instead of several small
   * ones.
   */
  async #performFrom(actions: SessionAction[], start: number): Promise<void> {
    for (let i = start; i < actions.length;) {
      const action = actions[i++]!;
      if (action.type !== "send") {
        await this.#perform(action);
        continue;
      }
      if (i === actions.length || actions[i]!.type !== "send") {
        await this.#send([action.bytes]);
        continue;
      }
      const parts = [action.bytes];
      while (i < actions.length) {
        const next = actions[i]!;
        if (next.type !== "send") break;
        parts.push(next.bytes);
        i++;
      }
      await this.#send(parts);
    }
  }

  #perform(action: SessionAction): Promise<void> | void {
    switch (action.type) {
      case "send":
        return this.#send([action.bytes]);
      case "publish":
        return this.#publish(action.name, action.query);
      case "play":
        return this.#play(action.name, action.query, action.duration);
      case "frames":
        return this.#publishFrames(action.frames);
      case "decodeError":
        if (this.#publishing !== null) {
          this.#engine.events.emit({
            type: "decodeError",
            key: this.#publishing.key.toString(),
            error: action.error,
          });
        }
        return;
      case "unpublish":
        return this.#stopPublish("unpublished by client");
      case "stopPlay":
        this.#subscription?.close("stopped by client");
        this.#subscription = null;
        return;
      case "connect":
        // from now on the handler's idle sweep watches this connection
        this.#cancelTimer();
        this.#cancelTimer = noop;
        return;
      case "metadata":
        return; // the data frame carries it to the kernel
    }
  }

  #stopPublish(reason: string): void {
    const handle = this.#publishing;
    this.#publishing = null;
    if (handle !== null && !handle.ended) handle.end(reason);
  }

  async #publish(name: string, query: URLSearchParams): Promise<void> {
    let handle: StreamHandle;
    try {
      const key = new StreamKey(this.#session.app, name);
      handle = await this.#engine.startPublishAuthorized(
        key,
        this.#credentials(query),
      );
    } catch (error) {
      const e = asStreamError(error);
      const code = e.code === "Unauthorized"
        ? "NetStream.Publish.Denied"
        : "NetStream.Publish.BadName";
      return this.#send(this.#session.refusePublish(code, describeRefusal(e)));
    }
    if (this.#closed) {
      handle.end("publisher disconnected");
      return;
    }
    this.#publishing = handle;
    handle.closed.then(() => {
      // replaced by a new publisher, or ended by the kernel: drop this client
      if (this.#publishing === handle) {
        this.#publishing = null;
        this.close(handle.endReason ?? "stream ended");
      }
    });
    await this.#send(
      this.#session.acceptPublish(`${handle.key} is now published`),
    );
    for (const f of this.#session.takeHeldFrames()) handle.publishFrame(f);
  }

  async #play(
    name: string,
    query: URLSearchParams,
    duration = -1,
  ): Promise<void> {
    let handle: StreamHandle;
    try {
      const key = new StreamKey(this.#session.app, name);
      handle = await this.#engine.authorizePlay(key, this.#credentials(query));
    } catch (error) {
      const e = asStreamError(error);
      const code = e.code === "NotFound" || e.code === "InvalidInput"
        ? "NetStream.Play.StreamNotFound"
        : "NetStream.Play.Failed";
      return this.#send(this.#session.refusePlay(code, describeRefusal(e)));
    }
    if (this.#closed) return;
    let session: EgressSession<Uint8Array>;
    try {
      // LimitExceeded past maxSubscribers; the viewer joins engine.clients
      session = this.#options.egress.open(handle, this.#credentials(query));
    } catch (error) {
      const e = asStreamError(error);
      return this.#send(
        this.#session.refusePlay("NetStream.Play.Failed", describeRefusal(e)),
      );
    }
    const sub = session.subscription;
    this.#subscription = sub;
    if (duration > 0) {
      // play(name, start, duration): stop after `duration` ms (librtmp's
      // unit: rtmpdump -B 3 sends 3000; SRS and nginx-rtmp read ms too).
      const cancel = this.#engine.clock.setTimer(duration, () => {
        this.#durationReached = true;
        sub.close("play duration reached");
      });
      void sub.closed.then(cancel);
    }
    sub.closed.then((end) => {
      if (end.reason === "evicted" || end.reason === "lagged") {
        this.#violation(
          new StreamError(
            "Evicted",
            `Cannot keep RTMP player of ${handle.key}: ${end.detail}`,
          ),
        );
      }
    });
    // The first batch (configs + cached GOP) goes out with the play replies,
    // at once: a joining player never waits for the stream's egress tick.
    const chain = chainOf(this.#options.egress.cacheOf(handle).format);
    // another format (a test's): its bytes as they are
    const timeline = chain === undefined ? null : new PlayTimeline(chain);
    const parts = this.#session.acceptPlay(`Playing ${handle.key}`);
    const replay = session.takeReplay();
    if (replay !== null) {
      const own = timeline?.pieces(session.batchFrames, replay) ?? replay;
      if (own instanceof Uint8Array) parts.push(own);
      else parts.push(...own);
    }
    await this.#send(parts);
    this.#egress = this.#pump(session, timeline);
  }

  /**
   * One write per shared batch of the kernel's egress session (the shared
   * bytes as they are, or at a join/gap a few pieces with the player's own
   * type-0 headers: see `_play_timeline.ts`).
   */
  async #pump(
    session: EgressSession<Uint8Array>,
    timeline: PlayTimeline | null,
  ): Promise<void> {
    const sub = session.subscription;
    const queue = this.#queue;
    try {
      // pushed at each tick: a batch the socket takes whole costs no
      // promise, array or async frame (the shared bytes as they are)
      await session.pump((bytes) => {
        if (this.#closed) {
          session.close("connection closed");
          return undefined;
        }
        const own = timeline === null
          ? bytes
          : timeline.pieces(session.batchFrames, bytes);
        return own instanceof Uint8Array
          ? queue.writeNow(own)
          : queue.writeParts(own);
      });
    } catch (error) {
      this.#writeFailed(error);
    }
    if (!this.#closed && this.#subscription === sub) {
      this.#subscription = null;
      const end = await sub.closed;
      if (end.reason === "ended" || this.#durationReached) {
        await this.#send(this.#session.playEnded());
      }
    }
  }
}

function noop(): void {}

/** "<code>: <message>", so that clients can tell refusals apart precisely. */
function describeRefusal(error: StreamError): string {
  return `${error.code}: ${error.message}`;
}

function asStreamError(error: unknown): StreamError {
  return error instanceof StreamError
    ? error
    : new StreamError("Protocol", String(error), { cause: error });
}
