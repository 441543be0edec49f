// LiveStream: the StreamHandle implementation. One published key = a FrameRing
// (the broadcaster), a GopCache, per-track QoS meters, a metadata tracker and
// the set of attached subscriptions (kept for exact counts, shutdown and the
// stall check on engine ticks; publishing never iterates it).
//
// Egress ticks: the stream owns one StreamEgressTick per distinct egress period
// (`egressTick(periodMs)`, created on first use on the engine's clock, so a
// ManualClock drives them in tests). publishFrame calls `published()` on each
// (one increment and compare per tick; the ticks are the handlers' distinct
// periods, one or two, never per viewer), which fires a tick early once half
// the lag limit of frames arrived since its last flush: a viewer waiting at
// the live edge cannot be pushed past the lag limit by a burst.
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import type { ResolvedAppSpec } from "./app_spec.ts";
import type { Clock } from "./clock.ts";
import type { EvictionReason } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { GopCache } from "./gop_cache.ts";
import type { StreamMetadata } from "./metadata.ts";
import { QosMeter, type QosSnapshot, type TrackQos } from "./qos.ts";
import type { EgressTick, StreamHandle } from "./stream_handle.ts";
import type { StreamKey } from "./stream_key.ts";
import type {
  SubscribeOptions,
  Subscription,
  SubscriptionEnd,
} from "./subscription.ts";
import { checkEgressTickMs, StreamEgressTick } from "./_egress_tick.ts";

/** Most distinct egress tick periods per stream (handlers use one or two). */
const MAX_EGRESS_TICKS = 8;
import { FrameRing } from "./_frame_ring.ts";
import { MetadataTracker } from "./_metadata_tracker.ts";
import {
  RingSubscription,
  type SubscriptionHost,
} from "./_ring_subscription.ts";

/**
 * Track ids per kind. Enhanced RTMP multitrack uses an 8-bit track id, so 256
 * covers every real source while bounding the per-track tables.
 */
export const MAX_TRACKS_PER_KIND = 256;

/** What a stream needs from its engine. */
export interface StreamContext {
  readonly clock: Clock;
  readonly events: EventBus;
  nextSubscriberId(): number;
  onEnded(stream: LiveStream, reason: string): void;
}

interface Meters {
  video: (QosMeter | undefined)[];
  audio: (QosMeter | undefined)[];
  data: (QosMeter | undefined)[];
}

export class LiveStream implements StreamHandle, SubscriptionHost {
  readonly key: StreamKey;
  readonly keyText: string;
  readonly spec: ResolvedAppSpec;
  readonly ring: FrameRing;
  readonly gopCache: GopCache;
  readonly clock: Clock;
  readonly startedAt: number;
  lastFrameAt: number;
  hasVideo = false;
  lastKeySeq = -1;
  lastConfigSeq = -1;
  readonly #context: StreamContext;
  readonly #subs = new Set<RingSubscription>();
  readonly #meters: Meters = { video: [], audio: [], data: [] };
  readonly #metadata: MetadataTracker;
  /** Fed on every publish (periods > 0 only). */
  readonly #ticks: StreamEgressTick[] = [];
  #noTick: StreamEgressTick | undefined;
  #framesIn = 0;
  #bytesIn = 0;
  #skipped = 0;
  #resyncs = 0;
  #lagErrors = 0;
  #evictions = 0;
  #endReason: string | undefined;
  /** The publisher left and the grace period runs (see `AppSpec.publisherGraceMs`). */
  #away: { readonly reason: string; readonly cancel: () => void } | undefined;
  #released = false;
  readonly #closed = Promise.withResolvers<void>();
  readonly #drained = Promise.withResolvers<void>();

  constructor(key: StreamKey, spec: ResolvedAppSpec, context: StreamContext) {
    this.key = key;
    this.keyText = key.toString();
    this.spec = spec;
    this.#context = context;
    this.clock = context.clock;
    this.ring = new FrameRing(spec.ringCapacity);
    this.gopCache = new GopCache({
      maxFrames: spec.gopCacheFrames,
      maxBytes: spec.gopCacheBytes,
      maxDurationMs: spec.gopCacheDurationMs,
    });
    this.#metadata = new MetadataTracker((error) =>
      context.events.emit({ type: "decodeError", key: this.keyText, error })
    );
    this.startedAt = context.clock.now();
    this.lastFrameAt = this.startedAt;
  }

  lastWatchedAt = -Infinity;

  markWatched(): void {
    this.lastWatchedAt = this.clock.now();
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  get ended(): boolean {
    return this.#endReason !== undefined;
  }

  get endReason(): string | undefined {
    return this.#endReason;
  }

  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  get drained(): Promise<void> {
    return this.#drained.promise;
  }

  publishFrame(frame: MediaFrame): number {
    if (this.#endReason !== undefined) {
      throw new StreamError(
        "Closed",
        `Cannot publish to ${this.keyText}: the stream has ended (${this.#endReason})`,
      );
    }
    if (this.#away !== undefined) {
      throw new StreamError(
        "Closed",
        `Cannot publish to ${this.keyText}: its publisher left (${this.#away.reason}); publish again to resume`,
      );
    }
    const track = frame.trackId;
    const kind = frame.kind;
    // Explicit branches, not `this.#meters[kind]`: a hostile kind such as
    // "__proto__" must not reach an object lookup.
    const meters = kind === "video"
      ? this.#meters.video
      : kind === "audio"
      ? this.#meters.audio
      : kind === "data"
      ? this.#meters.data
      : undefined;
    if (
      meters === undefined || !(frame.data instanceof Uint8Array) ||
      !(track >= 0 && track < MAX_TRACKS_PER_KIND && track % 1 === 0)
    ) {
      throw new StreamError(
        "InvalidInput",
        `Cannot publish to ${this.keyText}: not a media frame (kind ${
          String(frame.kind)
        }, track id ${track} of 0..${
          MAX_TRACKS_PER_KIND - 1
        }, data ${frame.data?.constructor?.name})`,
      );
    }
    if (frame.config && frame.data.byteLength === 0) {
      // An empty sequence header (ffmpeg's tee muxer sends one before the real
      // avcC) configures nothing; replaying it to late joiners would make them
      // undecodable. Drop it; the real one follows.
      this.lastFrameAt = this.clock.now();
      return this.subscriberCount;
    }
    const seq = this.ring.head;
    this.ring.push(frame);
    const ticks = this.#ticks;
    for (let i = 0; i < ticks.length; i++) ticks[i]!.published();
    this.gopCache.add(frame);
    const now = this.clock.now();
    this.lastFrameAt = now;
    this.#framesIn++;
    this.#bytesIn += frame.data.byteLength;
    if (frame.config) {
      this.lastConfigSeq = seq;
      this.#metadata.learn(frame);
      return this.#subs.size;
    }
    if (frame.kind === "video") {
      this.hasVideo = true;
      if (frame.keyframe) this.lastKeySeq = seq;
    } else if (frame.kind === "audio" && !this.hasVideo) {
      this.lastKeySeq = seq; // audio-only: every audio frame is a random access point
    }
    let meter = meters[track];
    if (meter === undefined) {
      meter = meters[track] = new QosMeter();
      this.#metadata.seen(frame);
    }
    meter.sample(frame.data.byteLength, now);
    return this.#subs.size;
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    return this.#attach(false, options);
  }

  subscribeResilient(options: SubscribeOptions = {}): Subscription {
    return this.#attach(true, options);
  }

  egressTick(periodMs: number): EgressTick {
    return this.egressTickOf(periodMs);
  }

  oldestWantedMs(): number {
    const ring = this.ring;
    const head = ring.head;
    const floor = head - ring.capacity;
    let oldest = head;
    const key = this.lastKeySeq;
    if (key >= 0) {
      // A GOP longer than the ring: joiners replay frames the ring no
      // longer holds, so nothing may be dropped.
      if (key < floor) return Number.NEGATIVE_INFINITY;
      oldest = key;
    }
    for (const sub of this.#subs) {
      const seq = sub.oldestSeq;
      if (seq < oldest) oldest = seq;
    }
    if (oldest === Number.NEGATIVE_INFINITY) return oldest;
    if (oldest >= head) return Number.POSITIVE_INFINITY;
    // Undefined once the ring was cleared (ended, last subscriber gone).
    const frame: MediaFrame | undefined = ring.at(Math.max(oldest, floor, 0));
    if (frame === undefined) return Number.POSITIVE_INFINITY;
    return (frame.dts * 1000) / frame.timescale;
  }

  /** `egressTick` with the concrete type (kernel-side callers and tests). */
  egressTickOf(periodMs: number): StreamEgressTick {
    checkEgressTickMs(periodMs);
    if (periodMs === 0) {
      return this.#noTick ??= new StreamEgressTick(0, this.clock);
    }
    for (const tick of this.#ticks) if (tick.periodMs === periodMs) return tick;
    if (this.#ticks.length >= MAX_EGRESS_TICKS) {
      // Each tick costs every publishFrame a compare: keep them few.
      throw new StreamError(
        "LimitExceeded",
        `Cannot create an egress tick of ${periodMs} ms for ${this.keyText}: ${MAX_EGRESS_TICKS} distinct periods already in use`,
      );
    }
    const limit = Math.min(this.ring.capacity, this.spec.maxLagFrames);
    const tick = new StreamEgressTick(
      periodMs,
      this.clock,
      Math.max(1, Math.floor(limit / 2)),
    );
    this.#ticks.push(tick);
    return tick;
  }

  qos(): QosSnapshot {
    const now = this.clock.now();
    const tracks: TrackQos[] = [];
    for (const kind of ["video", "audio", "data"] as const) {
      this.#meters[kind].forEach((meter, trackId) => {
        if (meter === undefined) return;
        tracks.push({
          kind,
          trackId,
          codec: this.#metadata.codecOf(kind, trackId) ?? "amf0",
          bitrate: meter.bitrate(now),
          fps: meter.fps(now),
          frames: meter.totalFrames,
          bytes: meter.totalBytes,
        });
      });
    }
    return {
      tracks,
      framesIn: this.#framesIn,
      bytesIn: this.#bytesIn,
      skippedFrames: this.#skipped,
      resyncs: this.#resyncs,
      lagErrors: this.#lagErrors,
      evictions: this.#evictions,
      subscribers: this.#subs.size,
      laggingSubscribers: this.#lagging(),
    };
  }

  metadataSnapshot(): StreamMetadata {
    return this.#metadata.snapshot();
  }

  /**
   * The publisher is done. With `publisherGraceMs` > 0 the stream waits
   * that long for a republish (`resumePublisher`) before it ends.
   */
  end(reason = "ended by publisher"): void {
    if (this.#endReason !== undefined || this.#away !== undefined) return;
    const graceMs = this.spec.publisherGraceMs;
    if (graceMs > 0) {
      const cancel = this.clock.setTimer(graceMs, () => this.endNow(reason));
      this.#away = { reason, cancel };
      return;
    }
    this.endNow(reason);
  }

  /** True while the publisher is away within its grace period. */
  get awaitingPublisher(): boolean {
    return this.#away !== undefined;
  }

  /** A publish within the grace period: the same stream and subscriptions go on. */
  resumePublisher(): void {
    this.#away?.cancel();
    this.#away = undefined;
    this.lastFrameAt = this.clock.now();
  }

  /** End now, grace or not (shutdown, replace, admin, grace over). Idempotent. */
  endNow(reason = "ended by publisher"): void {
    if (this.#endReason !== undefined) return;
    this.#away?.cancel();
    this.#away = undefined;
    this.#endReason = reason;
    this.ring.close();
    this.#closed.resolve();
    this.#context.onEnded(this, reason);
    for (const sub of [...this.#subs]) sub.endIfDrained();
    if (this.#subs.size === 0) this.#release();
  }

  #lagging(): number {
    const half = Math.min(this.ring.capacity, this.spec.maxLagFrames) / 2;
    let n = 0;
    for (const sub of this.#subs) if (sub.lag > half) n++;
    return n;
  }

  /** Engine tick: evict stalled subscribers, report slow ones (once per tick). */
  tick(now: number): void {
    for (const sub of [...this.#subs]) sub.checkStall(now);
    const lagging = this.#lagging();
    if (lagging > 0) {
      this.#context.events.emit({
        type: "subscribersLagging",
        key: this.keyText,
        lagging,
        subscribers: this.#subs.size,
      });
    }
  }

  /** Shutdown deadline: evict whoever is still attached. */
  evictAll(reason: EvictionReason): void {
    for (const sub of [...this.#subs]) sub.evict(reason);
  }

  // SubscriptionHost callbacks.

  onSkipped(count: number): void {
    this.#skipped += count;
  }

  onResync(sub: RingSubscription, skipped: number): void {
    this.#resyncs++;
    this.#skipped += skipped;
    this.#context.events.emit({
      type: "lagResync",
      key: this.keyText,
      subscriberId: sub.id,
      skipped,
    });
  }

  onLagged(sub: RingSubscription, missed: number): void {
    this.#lagErrors++;
    this.#context.events.emit({
      type: "subscriberLagged",
      key: this.keyText,
      subscriberId: sub.id,
      missed,
    });
  }

  onEvicted(sub: RingSubscription, reason: EvictionReason, lag: number): void {
    this.#evictions++;
    this.#context.events.emit({
      type: "subscriberEvicted",
      key: this.keyText,
      subscriberId: sub.id,
      reason,
      lag,
    });
  }

  detach(sub: RingSubscription, end: SubscriptionEnd): void {
    if (!this.#subs.delete(sub)) return;
    this.#context.events.emit({
      type: "subscriberLeft",
      key: this.keyText,
      subscriberId: sub.id,
      reason: end.reason,
      subscribers: this.#subs.size,
    });
    if (this.#subs.size === 0 && this.#endReason !== undefined) {
      this.#release();
    }
  }

  #attach(resilient: boolean, options: SubscribeOptions): Subscription {
    if (this.#endReason !== undefined) {
      throw new StreamError(
        "Closed",
        `Cannot subscribe to ${this.keyText}: the stream has ended`,
      );
    }
    if (this.#subs.size >= this.spec.maxSubscribers) {
      throw new StreamError(
        "LimitExceeded",
        `Cannot subscribe to ${this.keyText}: ${this.spec.maxSubscribers} subscribers already (maxSubscribers)`,
      );
    }
    const sub = new RingSubscription(
      this,
      this.#context.nextSubscriberId(),
      resilient,
      options,
    );
    this.#subs.add(sub);
    this.#context.events.emit({
      type: "subscriberJoined",
      key: this.keyText,
      subscriberId: sub.id,
      resilient,
      subscribers: this.#subs.size,
    });
    return sub;
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.ring.clear();
    this.gopCache.clear();
    this.#drained.resolve();
  }
}
