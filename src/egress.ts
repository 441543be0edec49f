/**
 * The egress seam: how every live egress (RTMP play, HTTP-FLV, WS-FLV, and
 * next RTP, MPEG-TS over SRT) gets a stream's shared batches.
 *
 * A protocol makes one {@linkcode LiveEgress} per format instance (a
 * {@linkcode JoinedEgress} for byte formats, a {@linkcode UnitEgress} when
 * it needs the unit boundaries, e.g. RTP packets), then per viewer
 * `egress.open(stream)` and `for await (const batch of session) await
 * write(batch)`, or `session.pump(write)` where a socket can take a batch
 * without waiting (then a viewer that keeps up costs no promise, array or
 * iterator result per tick). The kernel does the rest: a resilient subscription (lag →
 * resync at a newer keyframe, stall → eviction, which ends the iteration),
 * the stream's shared **egress tick** (`egressTickMs`: every viewer waits on
 * the same timer, wakes in the same run of microtasks and takes the same
 * run of frames; a burst of half the lag limit fires it early; the last
 * viewer leaving fires it at once), the replay (configs + cached GOP) first
 * and without waiting for the tick, and one {@linkcode EgressCache} per
 * stream per format instance, so each frame is serialized once and every
 * viewer at the same position writes the very same `Uint8Array`.
 *
 * Memory: per stream, the cache (see `egress_cache.ts`: the units of the
 * frames from the oldest a viewer or a joiner still wants, i.e. the GOP a
 * joiner replays and what the slowest viewer has not taken, not the whole
 * ring; a memo of the last few joined runs); per viewer, a cursor and the
 * batch being written; the ring is the only queue.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import type { StreamHandle } from "./stream_handle.ts";
import type { Subscription } from "./subscription.ts";
import type { EgressTick } from "./stream_handle.ts";
import {
  EgressCache,
  type EgressFormat,
  JoinedEgressCache,
} from "./egress_cache.ts";
import { checkEgressTickMs } from "./_egress_tick.ts";
// The already-resolved `ready()` of a subscription with frames waiting.
import { RESOLVED as FRAMES_READY } from "./_frame_ring.ts";
import type { ClientHandle } from "./clients.ts";
import { clientsOf } from "./_clients_of.ts";
import type { EvictionReason } from "./errors.ts";

export { checkEgressTickMs, MAX_EGRESS_TICK_MS } from "./_egress_tick.ts";

const NO_FRAMES: readonly MediaFrame[] = Object.freeze([]);

const DONE: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * Default egress tick, ms: 100. The viewers of a stream wake on one shared
 * tick and write what arrived since as one shared batch: at most 10 writes
 * per viewer per second instead of one per frame, for at most 100 ms of
 * added latency. Measured with 500 viewers of a 3.2 Mbit/s stream, one
 * shared batch per tick costs 0.28 ms of CPU per viewer-second at 40 ms and
 * 0.13 ms at 100 ms (bench/RESULTS.md). 0 writes every batch at once.
 *
 * @example
 * ```ts
 * import { DEFAULT_EGRESS_TICK_MS } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_EGRESS_TICK_MS, 100);
 * ```
 */
export const DEFAULT_EGRESS_TICK_MS = 100;

/**
 * Options of a {@linkcode LiveEgress}.
 *
 * @example
 * ```ts
 * import type { LiveEgressOptions } from "@arcly/stream";
 * const options: LiveEgressOptions = { egressTickMs: 40 };
 * ```
 */
export interface LiveEgressOptions {
  /**
   * The egress tick period, ms (0 to 1,000; 0: write each batch as frames
   * arrive, no coalescing); default {@linkcode DEFAULT_EGRESS_TICK_MS}.
   */
  egressTickMs?: number;
  /** Told once per stream when the format first skips a frame it cannot carry. */
  onUnsupported?: (stream: StreamHandle, frame: MediaFrame) => void;
}

/**
 * A format given as one instance, or one per stream (a stateful
 * serializer: MPEG-TS continuity counters, RTP sequence numbers).
 *
 * @example
 * ```ts
 * import type { FormatSource } from "@arcly/stream";
 * const perStream: FormatSource<Uint8Array> = () => ({ name: "raw", serialize: (f) => f.data });
 * ```
 */
export type FormatSource<U> =
  | EgressFormat<U>
  | ((stream: StreamHandle) => EgressFormat<U>);

/**
 * Who a viewer is, for the engine's client registry (a `Credentials`
 * object fits): {@linkcode LiveEgress.open} registers the viewer with it.
 *
 * @example
 * ```ts
 * import type { EgressViewer } from "@arcly/stream";
 * const viewer: EgressViewer = { protocol: "http-flv", remoteAddr: "10.0.0.2:51000" };
 * ```
 */
export interface EgressViewer {
  /** `rtmp`, `http-flv`, `ws-flv`, `srt`, `rtsp`, … */
  readonly protocol: string;
  /** `host:port` of the peer, when known. */
  readonly remoteAddr?: string | null | undefined;
}

/**
 * Bytes of a batch: a byte array, or units that are byte arrays, arrays of
 * them, or objects with such `packets` (RTP units); else 0. No allocation.
 */
function byteSize(batch: unknown): number {
  if (batch instanceof Uint8Array) return batch.length;
  if (!Array.isArray(batch)) return 0;
  let n = 0;
  for (let i = 0; i < batch.length; i++) {
    const unit: unknown = batch[i];
    if (unit instanceof Uint8Array) n += unit.length;
    else if (Array.isArray(unit)) n += partsSize(unit);
    else if (typeof unit === "object" && unit !== null && "packets" in unit) {
      const packets: unknown = unit.packets;
      if (Array.isArray(packets)) n += partsSize(packets);
    }
  }
  return n;
}

function partsSize(parts: readonly unknown[]): number {
  let n = 0;
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j];
    if (part instanceof Uint8Array) n += part.length;
  }
  return n;
}

/**
 * One viewer's live egress (from {@linkcode LiveEgress.open}): iterate it
 * for the batches; the first is the replay (unless taken with
 * `takeReplay()`), the iteration ends when the stream ends or the viewer is
 * evicted, and breaking out of it (or `close()`) releases the viewer.
 *
 * @example See {@linkcode JoinedEgress}
 * ```ts ignore
 * for await (const bytes of session) await write(bytes);
 * ```
 */
export class EgressSession<B>
  implements AsyncIterable<B>, AsyncIterator<B>, Disposable {
  /** The viewer's resilient subscription (its `closed` tells why it ended). */
  readonly subscription: Subscription;
  #tick: EgressTick;
  #batchOf: (frames: readonly MediaFrame[]) => B | null;
  #replay: MediaFrame[] | null;
  #leave: () => void;
  #done = false;
  #client: ClientHandle | null = null;
  #batchFrames: readonly MediaFrame[] = NO_FRAMES;
  /** `pump`'s writer, its end, and "the tick fired for it (take now)". */
  #sink: ((batch: B) => Promise<void> | undefined) | null = null;
  #pumped: PromiseWithResolvers<void> | null = null;
  #due = false;
  /** The pump waits for the tick (its callback is registered). */
  #waiting = false;

  /**
   * Created by {@linkcode LiveEgress.open}.
   *
   * @param subscription the viewer's subscription, replay not yet taken
   * @param tick the stream's egress tick
   * @param batchOf a batch of frames to what is written (null: nothing)
   * @param client the viewer's entry in the engine's client registry
   *   (bytes added per batch, unregistered when the subscription ends)
   */
  constructor(
    subscription: Subscription,
    tick: EgressTick,
    batchOf: (frames: readonly MediaFrame[]) => B | null,
    client: ClientHandle | null = null,
  ) {
    this.subscription = subscription;
    this.#tick = tick;
    this.#batchOf = batchOf;
    this.#client = client;
    const leave = tick.join();
    this.#leave = leave;
    // A pending tick fires at once when the last viewer leaves; a registered
    // viewer leaves the client registry then too, and a pump waiting for the
    // tick goes on (one reaction, not three).
    subscription.closed.then(() => {
      leave();
      client?.unregister();
      this.#wakeEnded();
    });
    try {
      this.#replay = subscription.takeAll();
    } catch {
      this.#replay = []; // evicted already: the iteration ends at once
    }
  }

  /** The frames of the replay batch until it is taken (for headers such as a start time). */
  get replayFrames(): readonly MediaFrame[] {
    return this.#replay ?? [];
  }

  /**
   * Take the replay batch now (to send it with a protocol's own replies);
   * the iteration then starts with the live batches.
   *
   * @returns the replay batch, or null when there is nothing to write
   */
  takeReplay(): B | null {
    const replay = this.#replay;
    this.#replay = null; // do not pin the replay's joined run
    if (replay === null || replay.length === 0) return null;
    const batch = this.#batchOf(replay);
    if (batch !== null) {
      this.#batchFrames = replay;
      this.#client?.addSent(byteSize(batch));
    }
    return batch;
  }

  /**
   * The frames of the batch last handed out (the replay included), in
   * order, frames the format skipped included: for a protocol that adjusts
   * the shared bytes per viewer at a join or gap (RTMP play rebases each
   * player's timestamps). Empty before the first batch.
   */
  get batchFrames(): readonly MediaFrame[] {
    return this.#batchFrames;
  }

  /** The viewer's id in the engine's client registry (`c-…`), or null when not registered. */
  get clientId(): string | null {
    return this.#client?.id ?? null;
  }

  /**
   * The batches: replay first (at once), then one per egress tick with
   * frames. The session is its own (single-consumer) iterator: no generator
   * object per viewer, one pending `next()` at a time.
   */
  [Symbol.asyncIterator](): EgressSession<B> {
    return this;
  }

  /**
   * The next batch (the replay first), or done once the stream ended or the
   * viewer was evicted or closed.
   *
   * @returns the batch, or `{ done: true }`
   */
  next(): Promise<IteratorResult<B, undefined>> {
    if (this.#done) return Promise.resolve(DONE);
    const replay = this.takeReplay();
    if (replay !== null) return Promise.resolve({ value: replay, done: false });
    return this.#wait();
  }

  // The wait is a chain of callbacks bound once per session, not an async
  // function: per viewer per tick it allocates one promise (the tick's
  // `then`), its reaction, the frames array and the result, where an async
  // `next()` also allocated its function object, register file, a second
  // await's reaction and an inner promise (bench/RESULTS.md, issue 19:
  // 485 → ~250 B per viewer per tick).

  /** Frames first (usually there already), then the stream's tick. */
  #wait(): Promise<IteratorResult<B, undefined>> {
    const ready = this.subscription.ready();
    return ready === FRAMES_READY
      ? this.#afterReady()
      : ready.then(this.#afterReady);
  }

  #afterReady = (): Promise<IteratorResult<B, undefined>> => {
    if (this.#done) return Promise.resolve(this.#finish());
    if (!this.subscription.isClosed) return this.#tick.next().then(this.#take);
    try {
      return Promise.resolve(this.#take());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  #take = ():
    | IteratorResult<B, undefined>
    | Promise<IteratorResult<B, undefined>> => {
    const sub = this.subscription;
    let frames: MediaFrame[];
    try {
      frames = sub.takeAll();
    } catch {
      return this.#finish(); // evicted: the kernel already reported it
    }
    if (frames.length === 0) {
      return sub.isClosed || this.#done ? this.#finish() : this.#wait();
    }
    const batch = this.#batchOf(frames);
    if (batch === null) return this.#wait();
    this.#batchFrames = frames;
    this.#client?.addSent(byteSize(batch));
    return { value: batch, done: false };
  };

  /**
   * Deliver the batches to `write` as they come: the same batches in the
   * same order as iterating the session (replay first, then one per egress
   * tick), but pushed, with nothing allocated per viewer per tick while
   * `write` keeps up. The session waits for the stream's tick with a
   * callback (`EgressTick.onNext`), not a promise, and `write` says whether
   * it took the batch at once (`undefined`: the next batch comes at the
   * next tick) or returns a promise (a socket that is full: the next batch
   * comes once it resolves, with what arrived meanwhile). A socket write
   * that completes at once (libc's non-blocking `send`) therefore costs no
   * promise, reaction or iterator result per viewer: at 500 viewers and 10
   * ticks a second those were ~4 MB/s of garbage, which kept V8's young
   * generation at its largest (`bench/RESULTS.md`, eighteenth session).
   * Use either `pump` or the iteration, not both.
   *
   * @param write takes one batch: `undefined` when done with it now, else a
   *   promise that resolves when done (a throw or rejection ends the session)
   * @returns resolves when the session ended (the stream ended, the viewer
   *   was evicted or closed); rejects with `write`'s error
   *
   * @example Two batches pushed to a writer that keeps up
   * ```ts
   * import { Engine, JoinedEgress, StreamKey, type MediaFrame } from "@arcly/stream";
   * import assert from "node:assert/strict";
   *
   * await using engine = Engine.builder().build();
   * const stream = engine.startPublish(StreamKey.parse("live/cam"));
   * const egress = new JoinedEgress({ name: "raw", serialize: (f: MediaFrame) => f.data }, { egressTickMs: 0 });
   * const session = egress.open(stream);
   * const got: number[] = [];
   * const done = session.pump((bytes) => {
   *   got.push(bytes.length);
   *   if (got.length === 2) session.close();
   *   return undefined;
   * });
   * const frame = (dts: number): MediaFrame => ({ kind: "video", codec: "h264", trackId: 0,
   *   pts: dts, dts, timescale: 1000, keyframe: true, config: false, data: new Uint8Array(3) });
   * stream.publishFrame(frame(0));
   * await new Promise((r) => setTimeout(r, 0));
   * stream.publishFrame(frame(40));
   * await done;
   * assert.deepEqual(got, [3, 3]);
   * ```
   */
  pump(write: (batch: B) => Promise<void> | undefined): Promise<void> {
    if (this.#pumped !== null) return this.#pumped.promise;
    this.#pumped = Promise.withResolvers<void>();
    this.#sink = write;
    this.#step();
    return this.#pumped.promise;
  }

  /**
   * The pump: deliver what may go now, then wait for the tick (a callback),
   * for frames (`ready()`, only when a tick found none) or for `write`.
   */
  #step = (): void => {
    const sub = this.subscription;
    for (;;) {
      if (this.#done) return this.#pumpEnded(undefined);
      let batch = this.takeReplay();
      if (batch === null) {
        if (!this.#due && !sub.isClosed) {
          const tick = this.#tick;
          this.#waiting = true;
          if (tick.onNext === undefined) {
            tick.next().then(this.#onTick);
            return;
          }
          if (!tick.onNext(this.#onTick, sub.ready() === FRAMES_READY)) return;
          this.#waiting = false;
        }
        this.#due = false;
        const ready = sub.ready();
        if (ready !== FRAMES_READY) {
          ready.then(this.#step);
          return;
        }
        let frames: readonly MediaFrame[];
        try {
          // the array all viewers at the live edge share (no copy each)
          frames = sub.takeShared?.() ?? sub.takeAll();
        } catch {
          this.#finish(); // evicted: the kernel already reported it
          return this.#pumpEnded(undefined);
        }
        if (frames.length === 0) {
          if (sub.isClosed || this.#done) {
            this.#finish();
            return this.#pumpEnded(undefined);
          }
          continue;
        }
        batch = this.#batchOf(frames);
        if (batch === null) continue;
        this.#batchFrames = frames;
        this.#client?.addSent(byteSize(batch));
      }
      let written: Promise<void> | undefined;
      try {
        written = this.#sink!(batch);
      } catch (error) {
        return this.#pumpEnded(error, true);
      }
      if (written !== undefined) {
        written.then(this.#step, this.#writeFailed);
        return;
      }
    }
  };

  #onTick = (): void => {
    if (!this.#waiting) return; // woken already (the subscription ended)
    this.#waiting = false;
    this.#due = true;
    this.#step();
  };

  /** The subscription ended while the pump waited for a tick: go on now. */
  #wakeEnded(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#step();
  }

  #writeFailed = (error: unknown): void => this.#pumpEnded(error, true);

  #pumpEnded(error: unknown, failed = false): void {
    const pumped = this.#pumped!;
    if (!failed) return pumped.resolve();
    this.#finish();
    pumped.reject(error);
  }

  /**
   * Stop iterating (what `break` in `for await` calls): releases the viewer.
   *
   * @returns `{ done: true }`
   */
  return(): Promise<IteratorResult<B, undefined>> {
    return Promise.resolve(this.#finish());
  }

  #finish(): IteratorResult<B, undefined> {
    this.#done = true;
    this.#replay = null;
    this.#leave();
    this.subscription.close("egress ended");
    return DONE;
  }

  /**
   * Release the viewer (idempotent).
   *
   * @param reason why, for the subscription's end
   */
  close(reason = "viewer left"): void {
    this.#done = true;
    this.#replay = null;
    this.#leave();
    this.subscription.close(reason);
  }

  /** `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The shared egress of one format instance over any number of streams: a
 * cache per stream, sessions per viewer. Use {@linkcode JoinedEgress} or
 * {@linkcode UnitEgress}.
 *
 * @example See {@linkcode JoinedEgress}
 * ```ts ignore
 * const session = egress.open(stream);
 * ```
 */
export abstract class LiveEgress<C extends EgressCache<unknown>, B> {
  /** The egress tick period, ms. */
  readonly egressTickMs: number;
  #caches = new WeakMap<StreamHandle, C>();
  #onUnsupported: LiveEgressOptions["onUnsupported"];

  /**
   * Create it.
   *
   * @param options the egress tick and the unsupported-frame report
   * @throws {StreamError} `InvalidInput` for an `egressTickMs` outside 0…1,000
   */
  constructor(options: LiveEgressOptions = {}) {
    const tickMs = options.egressTickMs ?? DEFAULT_EGRESS_TICK_MS;
    checkEgressTickMs(tickMs); // fail now, not at the first viewer
    this.egressTickMs = tickMs;
    this.#onUnsupported = options.onUnsupported;
  }

  /**
   * Build the cache of one stream.
   *
   * @param stream the stream
   * @param onSkip to call with a frame the format cannot carry
   */
  protected abstract createCache(
    stream: StreamHandle,
    onSkip: (frame: MediaFrame) => void,
  ): C;

  /**
   * What a batch of frames becomes (null: nothing to write).
   *
   * @param cache the stream's cache
   * @param frames the batch
   */
  protected abstract batchOf(cache: C, frames: readonly MediaFrame[]): B | null;

  /**
   * The cache of `stream` (created on first use; lives as long as the stream object).
   *
   * @param stream the stream
   * @returns its cache for this format
   */
  cacheOf(stream: StreamHandle): C {
    let cache = this.#caches.get(stream);
    if (cache === undefined) {
      let reported = false;
      cache = this.createCache(stream, (frame) => {
        if (reported) return;
        reported = true;
        this.#onUnsupported?.(stream, frame);
      });
      this.#caches.set(stream, cache);
    }
    return cache;
  }

  /**
   * Start a viewer: a resilient subscription (replay taken now), joined to
   * the stream's egress tick.
   *
   * With `viewer`, the viewer is registered in the engine's client
   * registry (`engine.clients`: listed, counted per protocol, its bytes
   * added, kickable); without, it is an internal consumer (a relay push).
   *
   * @param stream the live stream
   * @param viewer who watches (protocol, peer address; `Credentials` fit)
   * @returns the viewer's session
   * @throws {StreamError} `LimitExceeded` past the app's `maxSubscribers`, `Closed` once ended
   */
  open(stream: StreamHandle, viewer?: EgressViewer): EgressSession<B> {
    const sub = stream.subscribeResilient();
    const cache = this.cacheOf(stream);
    // A kick evicts the subscription, so the protocol ends the connection
    // as for a stalled viewer.
    const bound = viewer === undefined ? undefined : clientsOf(stream);
    const client = viewer === undefined || bound === undefined
      ? null
      : bound.clients.register({
        kind: "viewer",
        protocol: viewer.protocol,
        stream: bound.key,
        remoteAddr: viewer.remoteAddr ?? null,
      }, (reason) => kick(sub, reason));
    try {
      return new EgressSession(
        sub,
        stream.egressTick(this.egressTickMs),
        (frames) => this.batchOf(cache, frames),
        client,
      );
    } catch (error) {
      client?.unregister();
      sub.close("egress not opened");
      throw error;
    }
  }
}

/** Evict (the protocol then ends the connection), or close when not evictable. */
function kick(sub: Subscription, reason: string): void {
  const evictable = sub as Subscription & {
    evict?: (reason: EvictionReason) => void;
  };
  if (typeof evictable.evict === "function") evictable.evict("kicked");
  else sub.close(reason);
}

function formatFor<U>(
  source: FormatSource<U>,
  stream: StreamHandle,
): EgressFormat<U> {
  return typeof source === "function" ? source(stream) : source;
}

/**
 * Live egress of a byte format: each batch is one `Uint8Array`, joined once
 * per run and shared by every viewer at the same position (FLV, RTMP
 * chunks, MPEG-TS packets).
 *
 * @example Two viewers write the very same bytes
 * ```ts
 * import { Engine, JoinedEgress, ManualClock, type MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().clock(new ManualClock()).build();
 * const stream = engine.startPublish("live/cam");
 * const egress = new JoinedEgress({ name: "raw", serialize: (f) => f.data }, { egressTickMs: 0 });
 * const a = egress.open(stream)[Symbol.asyncIterator]();
 * const b = egress.open(stream)[Symbol.asyncIterator]();
 * const frame: MediaFrame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: Uint8Array.of(7) };
 * stream.publishFrame(frame);
 * const [x, y] = await Promise.all([a.next(), b.next()]);
 * assert.equal(x.value, y.value);
 * assert.deepEqual([...x.value!], [7]);
 * ```
 */
export class JoinedEgress extends LiveEgress<JoinedEgressCache, Uint8Array> {
  #format: FormatSource<Uint8Array>;

  /**
   * Create it.
   *
   * @param format the serializer (one instance, or one per stream)
   * @param options the egress tick and the unsupported-frame report
   * @throws {StreamError} `InvalidInput` for an `egressTickMs` outside 0…1,000
   */
  constructor(
    format: FormatSource<Uint8Array>,
    options: LiveEgressOptions = {},
  ) {
    super(options);
    this.#format = format;
  }

  /** A joined cache with the stream's format. */
  protected createCache(
    stream: StreamHandle,
    onSkip: (frame: MediaFrame) => void,
  ): JoinedEgressCache {
    return new JoinedEgressCache(
      formatFor(this.#format, stream),
      onSkip,
      () => stream.oldestWantedMs(),
    );
  }

  /** The joined bytes (null when empty). */
  protected batchOf(
    cache: JoinedEgressCache,
    frames: readonly MediaFrame[],
  ): Uint8Array | null {
    const bytes = cache.batch(frames);
    return bytes.length === 0 ? null : bytes;
  }
}

/**
 * Live egress that keeps unit boundaries: each batch is the array of the
 * frames' units (e.g. each frame's RTP packets), frames the format cannot
 * carry left out. With `egressTickMs: 0` a batch is what arrived since the
 * viewer's last batch, i.e. paced as frames arrive.
 *
 * @example Units per batch
 * ```ts
 * import { Engine, ManualClock, type MediaFrame, UnitEgress } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().clock(new ManualClock()).build();
 * const stream = engine.startPublish("live/cam");
 * const packets = new UnitEgress<Uint8Array[]>(
 *   { name: "split", serialize: (f) => [f.data.subarray(0, 1), f.data.subarray(1)] },
 *   { egressTickMs: 0 },
 * );
 * const viewer = packets.open(stream)[Symbol.asyncIterator]();
 * const frame: MediaFrame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: Uint8Array.of(1, 2, 3) };
 * stream.publishFrame(frame);
 * const batch = (await viewer.next()).value!;
 * assert.equal(batch.length, 1);
 * assert.equal(batch[0]!.length, 2);
 * ```
 */
export class UnitEgress<U> extends LiveEgress<EgressCache<U>, readonly U[]> {
  #format: FormatSource<U>;

  /**
   * Create it.
   *
   * @param format the serializer (one instance, or one per stream)
   * @param options the egress tick and the unsupported-frame report
   * @throws {StreamError} `InvalidInput` for an `egressTickMs` outside 0…1,000
   */
  constructor(format: FormatSource<U>, options: LiveEgressOptions = {}) {
    super(options);
    this.#format = format;
  }

  /** A unit cache with the stream's format. */
  protected createCache(
    stream: StreamHandle,
    onSkip: (frame: MediaFrame) => void,
  ): EgressCache<U> {
    return new EgressCache(
      formatFor(this.#format, stream),
      onSkip,
      () => stream.oldestWantedMs(),
    );
  }

  /** The units of the batch (null when none). */
  protected batchOf(
    cache: EgressCache<U>,
    frames: readonly MediaFrame[],
  ): readonly U[] | null {
    const units = cache.unitsOf(frames);
    return units.length === 0 ? null : units;
  }
}
