// RingSubscription: a cursor into a stream's FrameRing plus a few flags. It
// owns no queue: `takeAll()` copies the references between the cursor and the
// ring head into one array per call. Lag is detected here, on read (tokio
// broadcast style), so publishing never looks at subscribers.
import type { MediaFrame } from "../media/frame.ts";
import type { StreamError } from "../media/stream_error.ts";
import type { ResolvedAppSpec } from "./app_spec.ts";
import type { Clock } from "./clock.ts";
import { EvictedError, type EvictionReason, LaggedError } from "./errors.ts";
import type { GopCache } from "./gop_cache.ts";
import type { StreamKey } from "./stream_key.ts";
import type {
  SubscribeOptions,
  Subscription,
  SubscriptionEnd,
} from "./subscription.ts";
import { type FrameRing, RESOLVED } from "./_frame_ring.ts";

/** What a subscription needs from its stream (implemented by LiveStream). */
export interface SubscriptionHost {
  readonly key: StreamKey;
  readonly keyText: string;
  readonly ring: FrameRing;
  readonly gopCache: GopCache;
  readonly spec: ResolvedAppSpec;
  readonly clock: Clock;
  readonly hasVideo: boolean;
  readonly lastKeySeq: number;
  readonly lastConfigSeq: number;
  onSkipped(count: number): void;
  onResync(sub: RingSubscription, skipped: number): void;
  onLagged(sub: RingSubscription, missed: number): void;
  onEvicted(sub: RingSubscription, reason: EvictionReason, lag: number): void;
  detach(sub: RingSubscription, end: SubscriptionEnd): void;
}

/**
 * Frames `next()` moves from the ring into its private batch at a time:
 * amortizes the per-call work, yet small enough that a `next()` reader keeps
 * at most 64 frames (about 1 s of 30 fps video with audio) outside the
 * ring's lag accounting.
 */
const NEXT_BATCH = 64;

export class RingSubscription implements Subscription {
  readonly id: number;
  readonly resilient: boolean;
  readonly #host: SubscriptionHost;
  readonly #ring: FrameRing;
  readonly #threshold: number;
  #cursor: number;
  #replay: MediaFrame[] | null = null;
  #replayPos = 0;
  #awaitKey: boolean;
  #batch: MediaFrame[] = [];
  #batchPos = 0;
  #end: SubscriptionEnd | null = null;
  #pendingError: StreamError | null = null;
  #closed = Promise.withResolvers<SubscriptionEnd>();
  #readable: ReadableStream<MediaFrame> | undefined;
  #windowStart = Number.NEGATIVE_INFINITY;
  #windowResyncs = 0;
  #stallCursor = -1;
  #stallSince = Number.NaN;
  skipped = 0;
  resyncs = 0;

  constructor(
    host: SubscriptionHost,
    id: number,
    resilient: boolean,
    options: SubscribeOptions,
  ) {
    this.#host = host;
    this.#ring = host.ring;
    this.id = id;
    this.resilient = resilient;
    this.#threshold = Math.min(host.ring.capacity, host.spec.maxLagFrames);
    this.#cursor = host.ring.head;
    const cache = host.gopCache;
    if (options.replay ?? true) {
      const replay = cache.replay();
      if (replay.length > 0) this.#replay = replay;
      this.#awaitKey = (options.waitForKeyframe ?? true) && !cache.anchored;
    } else {
      this.#awaitKey = options.waitForKeyframe ?? true;
    }
  }

  get key(): StreamKey {
    return this.#host.key;
  }

  get lag(): number {
    return this.#ring.head - this.#cursor;
  }

  /**
   * Sequence number of the oldest ring frame this subscription may still
   * hand out (its cursor, less the frames of its `next()` batch not yet
   * returned); -Infinity while a replay is pending (its frames come from
   * the GOP cache, not the ring).
   */
  get oldestSeq(): number {
    if (this.#replay !== null) return Number.NEGATIVE_INFINITY;
    return this.#cursor - (this.#batch.length - this.#batchPos);
  }

  get isClosed(): boolean {
    return this.#end !== null;
  }

  get closed(): Promise<SubscriptionEnd> {
    return this.#closed.promise;
  }

  ready(): Promise<void> {
    if (
      this.#end !== null || this.#replay !== null ||
      this.#batchPos < this.#batch.length ||
      this.#cursor < this.#ring.head || this.#ring.closed
    ) return RESOLVED;
    return this.#ring.wait();
  }

  takeAll(max: number = Number.POSITIVE_INFINITY): MediaFrame[] {
    max = Math.floor(max);
    if (!(max >= 1)) return [];
    const ring = this.#ring;
    const available = ring.head - this.#cursor;
    if (this.#steady(available)) {
      // Fast path (steady-state egress): one native slice of the ring.
      const count = Math.min(available, max);
      const out = ring.slice(this.#cursor, count);
      this.#cursor += count;
      return out;
    }
    const out: MediaFrame[] = [];
    while (this.#batchPos < this.#batch.length && out.length < max) {
      out.push(this.#batch[this.#batchPos++]!);
    }
    if (this.#end !== null) {
      const error = this.#pendingError;
      if (error !== null && out.length === 0) {
        this.#pendingError = null;
        throw error;
      }
      return out;
    }
    if (out.length < max) this.#collect(out, max);
    return out;
  }

  takeShared(): readonly MediaFrame[] {
    const ring = this.#ring;
    const available = ring.head - this.#cursor;
    if (this.#steady(available)) {
      // the range every viewer at the live edge takes
      const out = ring.sliceShared(this.#cursor, available);
      this.#cursor += available;
      return out;
    }
    return this.takeAll();
  }

  /**
   * The steady state of egress: no replay, keyframe wait, end or `next()`
   * batch pending, and `available` frames within the lag limit.
   */
  #steady(available: number): boolean {
    return this.#replay === null && !this.#awaitKey && this.#end === null &&
      this.#batchPos >= this.#batch.length && available > 0 &&
      available <= this.#threshold;
  }

  async next(): Promise<MediaFrame | null> {
    for (;;) {
      if (this.#batchPos < this.#batch.length) {
        return this.#batch[this.#batchPos++]!;
      }
      const batch = this.takeAll(NEXT_BATCH);
      if (batch.length > 0) {
        this.#batch = batch;
        this.#batchPos = 0;
        continue;
      }
      if (this.#end !== null) return null;
      await this.ready();
    }
  }

  get readable(): ReadableStream<MediaFrame> {
    this.#readable ??= new ReadableStream<MediaFrame>({
      pull: async (controller) => {
        const frame = await this.next();
        if (frame === null) controller.close();
        else controller.enqueue(frame);
      },
      cancel: (reason) => {
        this.close(
          reason === undefined
            ? "readable cancelled"
            : `readable cancelled: ${
              reason instanceof Error ? reason.message : String(reason)
            }`,
        );
      },
    }, { highWaterMark: 0 });
    return this.#readable;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<MediaFrame, void, undefined> {
    try {
      for (;;) {
        const frame = await this.next();
        if (frame === null) return;
        yield frame;
      }
    } finally {
      this.close("iterator returned");
    }
  }

  [Symbol.dispose](): void {
    this.close("disposed");
  }

  close(reason = "closed by owner"): void {
    if (this.#end !== null) return;
    this.#finish({ reason: "closed", detail: reason });
    this.#ring.wake(); // a pending ready() of this subscription must return
  }

  /** Evict from outside a read (engine tick, shutdown deadline). */
  evict(reason: EvictionReason): void {
    if (this.#end !== null) return;
    const lag = this.lag;
    const error = this.#evictionError(reason, lag);
    this.#pendingError = error;
    this.#finish({ reason: "evicted", detail: error.message, error });
    this.#host.onEvicted(this, reason, lag);
    this.#ring.wake();
  }

  /** At stream end: finish at once when nothing is left to deliver. */
  endIfDrained(): void {
    if (
      this.#end === null && this.#replay === null &&
      this.#batchPos >= this.#batch.length && this.#cursor >= this.#ring.head
    ) this.#finish({ reason: "ended", detail: "stream ended" });
  }

  /** Engine tick: evict a subscriber that lags and has not read for stallTimeoutMs. */
  checkStall(now: number): void {
    if (this.#end !== null) return;
    if (this.lag <= this.#threshold) {
      this.#stallSince = Number.NaN;
      return;
    }
    if (this.#cursor !== this.#stallCursor || Number.isNaN(this.#stallSince)) {
      this.#stallCursor = this.#cursor;
      this.#stallSince = now;
    } else if (now - this.#stallSince >= this.#host.spec.stallTimeoutMs) {
      this.evict("stalled");
    }
  }

  #collect(out: MediaFrame[], max: number): void {
    const ring = this.#ring;
    this.#drainReplay(out, max);
    if (out.length >= max) return;
    const lag = ring.head - this.#cursor;
    if (lag > this.#threshold) {
      this.#onLag(lag); // throws unless resynchronised
      this.#drainReplay(out, max);
      if (out.length >= max) return;
    }
    const head = ring.head;
    let cursor = this.#cursor;
    let skipped = 0;
    while (cursor < head && out.length < max) {
      const frame = ring.at(cursor++);
      if (this.#awaitKey && frame.kind === "video" && !frame.config) {
        if (!frame.keyframe) {
          skipped++;
          continue;
        }
        this.#awaitKey = false;
      }
      out.push(frame);
    }
    this.#cursor = cursor;
    if (skipped > 0) {
      this.skipped += skipped;
      this.#host.onSkipped(skipped);
    }
    if (out.length === 0 && ring.closed && cursor >= ring.head) {
      this.#finish({ reason: "ended", detail: "stream ended" });
    }
  }

  #drainReplay(out: MediaFrame[], max: number): void {
    const replay = this.#replay;
    if (replay === null) return;
    while (this.#replayPos < replay.length && out.length < max) {
      out.push(replay[this.#replayPos++]!);
    }
    if (this.#replayPos >= replay.length) {
      this.#replay = null;
      this.#replayPos = 0;
    }
  }

  #onLag(lag: number): void {
    const host = this.#host;
    if (!this.resilient) {
      const error = new LaggedError(
        lag,
        `Cannot read ${host.keyText}: ${lag} frames behind, over the limit of ${this.#threshold}`,
      );
      this.#finish({ reason: "lagged", detail: error.message, error });
      host.onLagged(this, lag);
      throw error;
    }
    const now = host.clock.now();
    if (now - this.#windowStart > host.spec.resyncWindowMs) {
      this.#windowStart = now;
      this.#windowResyncs = 0;
    }
    if (++this.#windowResyncs > host.spec.maxResyncs) {
      const error = this.#evictionError("slow", lag);
      this.#finish({ reason: "evicted", detail: error.message, error });
      host.onEvicted(this, "slow", lag);
      throw error;
    }
    this.#resync();
  }

  /** Jump to the newest keyframe in reach (or the GOP cache, or the head). */
  #resync(): void {
    const host = this.#host;
    const head = this.#ring.head;
    const from = this.#cursor;
    let target = head;
    let replay: MediaFrame[] = [];
    this.#awaitKey = false;
    if (host.hasVideo) {
      const key = host.lastKeySeq;
      if (key >= 0 && head - key <= this.#threshold) target = key;
      else if (key > from && host.gopCache.anchored) {
        replay = host.gopCache.frames(); // the GOP from `key`, kept by the cache
      } else this.#awaitKey = true; // already inside that GOP: wait for the next
    }
    if (host.lastConfigSeq >= from && host.lastConfigSeq < target) {
      replay = [...host.gopCache.configFramesAt(replay[0]), ...replay];
    }
    this.#replay = replay.length > 0 ? replay : null;
    this.#replayPos = 0;
    this.#cursor = target;
    const skipped = Math.max(0, target - from - replay.length);
    this.skipped += skipped;
    this.resyncs++;
    host.onResync(this, skipped);
  }

  #evictionError(reason: EvictionReason, lag: number): EvictedError {
    return new EvictedError(
      reason,
      `Cannot read ${this.#host.keyText}: evicted (${reason}) while ${lag} frames behind`,
    );
  }

  #finish(end: SubscriptionEnd): void {
    if (this.#end !== null) return;
    this.#end = end;
    this.#replay = null;
    if (end.reason === "closed") {
      this.#batch = []; // closed by its owner: nothing more is delivered
      this.#batchPos = 0;
    }
    this.#closed.resolve(end);
    this.#host.detach(this, end);
  }
}
