/**
 * {@linkcode TranscodeService}: ABR renditions and audio bridges as derived
 * streams of the engine, each one ffmpeg child supervised by the service.
 *
 * - **Renditions** (`live/cam~480p`): from the ladder of the source's
 *   application (`ladders`, keyed by app name, `"*"` for any). Lazy mode
 *   (default) starts them when the source is published (once its video
 *   config tells the size: rungs at or above the source height are left
 *   out); on-demand mode starts one on `ensure(key)` (first viewer) and
 *   stops it `idleGraceMs` after its last viewer left.
 * - **Audio bridges** (`live/cam~opus`: video copied, AAC → Opus;
 *   `live/cam~aac`: Opus → AAC): one per stream, never per viewer, started
 *   by `ensure()` / `ensureAudio()` and released like on-demand renditions.
 * - At most `maxTranscoders` ffmpeg processes run; past it a start is
 *   refused with `StreamError` `LimitExceeded` (and a `refused` event).
 * - A crashed ffmpeg is restarted with a doubling backoff (event
 *   `restarting`); the derived stream ends and is published again, so HLS
 *   continues it after an EXT-X-DISCONTINUITY. Source viewers are never
 *   affected: a job is one more resilient subscriber of the source.
 * - `stats(key)`: progress parsed from ffmpeg's stderr (speed, fps, bit
 *   rate), restarts, dropped frames, queued bytes, the ffmpeg pid.
 *
 * Data path: see `FfmpegTranscoder` (bounded stdin queue per job, stdout
 * read on demand). Memory per job: the stdin queue bound plus one read
 * chunk; the service itself holds one record per derived stream.
 *
 * @module
 */
import { parseCodecConfig } from "../media/codec/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import type { StreamHandle, StreamHost } from "../src/mod.ts";
import {
  audioBridgeArgs,
  type PipeFormat,
  renditionArgs,
} from "./ffmpeg_args.ts";
import type { FfmpegProgress } from "./ffmpeg_progress.ts";
import type { FrameReader } from "./ffmpeg_transcoder.ts";
import {
  derivedKey,
  parseDerivedKey,
  planLadder,
  type PlannedRendition,
  type RenditionSpec,
} from "./ladder.ts";
import { type JobSpec, TranscodeJob } from "./_transcode_job.ts";

/**
 * What the service reports (to `onEvent`).
 *
 * @example
 * ```ts
 * import type { TranscodeEvent } from "@arcly/stream/transcode";
 * const e: TranscodeEvent = { type: "restarting", key: "live/cam~480p", attempt: 1, delayMs: 500, reason: "ffmpeg exited" };
 * ```
 */
export type TranscodeEvent =
  | { type: "started"; key: string; pid?: number | undefined }
  | {
    type: "restarting";
    key: string;
    attempt: number;
    delayMs: number;
    reason: string;
  }
  | { type: "stopped"; key: string; reason: string }
  | { type: "refused"; key: string; reason: string };

/**
 * Figures of one derived stream.
 *
 * @example
 * ```ts
 * import type { TranscodeStats } from "@arcly/stream/transcode";
 * const s: TranscodeStats = { key: "live/cam~480p", source: "live/cam", variant: "480p", running: true,
 *   restarts: 0, droppedFrames: 0, queuedBytes: 0, framesOut: 0, startedAt: 0 };
 * ```
 */
export interface TranscodeStats {
  /** The derived key. */
  readonly key: string;
  /** The source key. */
  readonly source: string;
  /** `480p`, `opus`, `aac`. */
  readonly variant: string;
  /** True while an ffmpeg runs (false during a restart backoff). */
  readonly running: boolean;
  /** Restarts after crashes. */
  readonly restarts: number;
  /** Frames dropped because ffmpeg's stdin did not keep up. */
  readonly droppedFrames: number;
  /** Bytes waiting for ffmpeg's stdin. */
  readonly queuedBytes: number;
  /** Frames published into the derived stream. */
  readonly framesOut: number;
  /** Engine-clock ms when the job started. */
  readonly startedAt: number;
  /** ffmpeg's last progress report (speed, fps, bit rate). */
  readonly progress?: FfmpegProgress | undefined;
  /** ffmpeg's process id while running. */
  readonly pid?: number | undefined;
  /** The planned rendition (renditions only). */
  readonly rendition?: PlannedRendition | undefined;
}

/**
 * Options of {@linkcode TranscodeService}.
 *
 * @example
 * ```ts
 * import { parseLadder, type TranscodeServiceOptions } from "@arcly/stream/transcode";
 * import { Engine } from "@arcly/stream";
 * const options: TranscodeServiceOptions = { host: Engine.builder().build(), ladders: { live: parseLadder("480p,240p") } };
 * ```
 */
export interface TranscodeServiceOptions {
  /** The engine (or any `StreamHost`). */
  host: StreamHost;
  /** ABR ladder per application name; `"*"` applies to any other app. */
  ladders?: Readonly<Record<string, readonly RenditionSpec[]>>;
  /** `lazy` (default): renditions start with the source; `on-demand`: on `ensure()`. */
  mode?: "lazy" | "on-demand";
  /** Most ffmpeg processes at once (default 4). */
  maxTranscoders?: number;
  /** ffmpeg binary (default `ffmpeg`). */
  ffmpegPath?: string;
  /** x264 preset (default `veryfast`). */
  preset?: string;
  /** Encoder threads per ffmpeg (default 0: ffmpeg decides). */
  threads?: number;
  /** First restart delay, ms (default 500; doubles per crash). */
  restartBackoffMs?: number;
  /** Largest restart delay, ms (default 10,000). */
  maxRestartBackoffMs?: number;
  /** On-demand streams stop this long after their last viewer left (default 10,000 ms). */
  idleGraceMs?: number;
  /** Bound of each stdin queue (default 8 MiB). */
  maxQueueBytes?: number;
  /** MPEG-TS reader for Opus outputs (the `~opus` bridge), e.g. `() => new MpegTsDemuxer()`. */
  createTsReader?: () => FrameReader;
  /** Every service event. */
  onEvent?: (event: TranscodeEvent) => void;
}

/**
 * Runs ABR renditions and audio bridges as derived streams.
 *
 * @example Configure a ladder (nothing runs until a stream of `live` is published)
 * ```ts
 * import { Engine } from "@arcly/stream";
 * import { parseLadder, TranscodeService } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * await using service = new TranscodeService({ host: engine, ladders: { live: parseLadder("480p,240p") } });
 * assert.deepEqual(service.list(), []);
 * ```
 */
export class TranscodeService implements AsyncDisposable {
  #o: TranscodeServiceOptions;
  #jobs = new Map<string, TranscodeJob>();
  #plans = new Map<string, PlannedRendition[]>();
  #releaseTimers = new Map<string, () => void>();
  #onDemandJobs = new Set<string>();
  #off: Array<() => void> = [];
  #closed = false;

  /**
   * Start watching the host's streams.
   *
   * @param options host, ladders, limits
   */
  constructor(options: TranscodeServiceOptions) {
    this.#o = options;
    const events = options.host.events;
    this.#off.push(
      events.on("published", (e) => this.#onPublished(e.key)),
      events.on("unpublished", (e) => this.#onUnpublished(e.key)),
      events.on("subscriberLeft", (e) => this.#scheduleRelease(e.key)),
      events.on("subscriberJoined", (e) => this.#cancelRelease(e.key)),
    );
    for (const info of options.host.streams()) {
      this.#onPublished(info.key.toString());
    }
  }

  /** The ladder configured for `app` (its own, else `"*"`, else none). */
  ladderOf(app: string): readonly RenditionSpec[] {
    const ladders = this.#o.ladders ?? {};
    return ladders[app] ?? ladders["*"] ?? [];
  }

  /**
   * The renditions planned for a live source (empty until its video config
   * arrived, or when every rung is at or above its height).
   *
   * @param source the source key
   * @returns the renditions with their derived keys, highest first
   */
  renditions(source: string): (PlannedRendition & { key: string })[] {
    const key = source.toString();
    const handle = this.#o.host.getStream(key);
    if (!handle || parseDerivedKey(key)) return [];
    const plan = this.#plans.get(key) ?? this.#plan(key, handle);
    return plan.map((r) => ({ ...r, key: derivedKey(key, r.name) }));
  }

  /** Every running derived stream's figures. */
  list(): TranscodeStats[] {
    return [...this.#jobs.keys()].map((key) => this.stats(key)!);
  }

  /**
   * Figures of one derived stream.
   *
   * @param key the derived key (`live/cam~480p`)
   * @returns the figures, or undefined when no job runs for it
   */
  stats(key: string): TranscodeStats | undefined {
    const job = this.#jobs.get(key);
    if (!job) return undefined;
    const s = job.spec;
    const rendition = this.#plans.get(s.source)?.find((r) =>
      r.name === s.variant
    );
    return {
      key,
      source: s.source,
      variant: s.variant,
      running: job.pid !== undefined,
      restarts: job.restarts,
      droppedFrames: job.droppedFrames,
      queuedBytes: job.queuedBytes,
      framesOut: job.framesOut,
      startedAt: job.startedAt,
      progress: job.progress,
      pid: job.pid,
      rendition,
    };
  }

  /**
   * Make sure the derived stream `key` runs (on demand: a rendition of the
   * source's ladder, or an audio bridge `~opus` / `~aac`) and resolve with
   * it once it published its first frame. It is released `idleGraceMs`
   * after its last viewer left (lazy renditions run with their source).
   *
   * @param key the derived key
   * @returns the derived stream
   * @throws {StreamError} `NotFound` (no such source or variant), `LimitExceeded` (cap), `Closed`
   */
  async ensure(key: string): Promise<StreamHandle> {
    key = key.toString();
    const live = this.#o.host.getStream(key);
    if (live && !live.ended) return live;
    const parsed = parseDerivedKey(key);
    const source = parsed && this.#o.host.getStream(parsed.source);
    if (!parsed || !source || source.ended) {
      throw new StreamError(
        "NotFound",
        `Cannot start ${key}: no such source stream`,
      );
    }
    if (parsed.variant === "opus" || parsed.variant === "aac") {
      const audio = source.gopCache.configFrames().find((f) =>
        f.kind === "audio"
      );
      if (audio?.codec === parsed.variant) return source; // already that codec: no bridge
    }
    let job = this.#jobs.get(key);
    if (!job || job.stopping) {
      const spec = this.#specOf(parsed.source, parsed.variant, source);
      if (!spec) {
        throw new StreamError(
          "NotFound",
          `Cannot start ${key}: no rendition or audio bridge named ${parsed.variant}`,
        );
      }
      if (job) await job.done;
      job = this.#start(spec, true);
    }
    try {
      return await job.output;
    } catch (error) {
      throw new StreamError("Closed", (error as Error).message, {
        cause: error,
      });
    }
  }

  /**
   * The audio bridge of `source`: `opus` (AAC → Opus, for WebRTC) or `aac`
   * (Opus → AAC, for HLS/FLV/RTMP); one per stream.
   *
   * @param source the source key
   * @param target the output audio codec
   * @returns the derived stream `{source}~{target}`
   */
  ensureAudio(source: string, target: "opus" | "aac"): Promise<StreamHandle> {
    return this.ensure(derivedKey(source.toString(), target));
  }

  /** Stop every job and stop watching. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    for (const cancel of this.#releaseTimers.values()) cancel();
    this.#releaseTimers.clear();
    await Promise.all([...this.#jobs.values()].map((job) => job.stop()));
  }

  /** {@linkcode TranscodeService.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #emit(event: TranscodeEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch { /* a listener's failure is its own */ }
  }

  #onPublished(key: string): void {
    if (this.#closed || parseDerivedKey(key)) return;
    this.#plans.delete(key);
    if ((this.#o.mode ?? "lazy") !== "lazy") return;
    if (this.ladderOf(key.slice(0, key.indexOf("/"))).length === 0) return;
    const handle = this.#o.host.getStream(key);
    if (!handle) return;
    void this.#waitForVideoConfig(handle).then((config) => {
      if (!config || this.#closed || handle.ended) return;
      for (const r of this.#plan(key, handle, config)) {
        const spec = this.#specOf(key, r.name, handle);
        if (!spec) continue;
        const old = this.#jobs.get(spec.key);
        if (old && !old.stopping) continue;
        try {
          if (old) void old.done.then(() => this.#start(spec, false));
          else this.#start(spec, false);
        } catch { /* refused: reported as an event */ }
      }
    });
  }

  #onUnpublished(key: string): void {
    this.#cancelRelease(key);
    if (parseDerivedKey(key)) return;
    // Jobs of this source end when their input ends; make sure within 5 s.
    for (const job of this.#jobs.values()) {
      if (job.spec.source !== key) continue;
      const cancel = this.#o.host.clock.setTimer(5000, () => void job.stop());
      void job.done.then(cancel);
    }
  }

  #scheduleRelease(key: string): void {
    const job = this.#jobs.get(key);
    if (!job || !this.#onDemandJobs.has(key) || this.#releaseTimers.has(key)) {
      return;
    }
    const handle = job.handle;
    if (handle && handle.subscriberCount > 0) return;
    const cancel = this.#o.host.clock.setTimer(
      this.#o.idleGraceMs ?? 10_000,
      () => {
        this.#releaseTimers.delete(key);
        const now = this.#jobs.get(key);
        if (now !== job) return;
        if ((job.handle?.subscriberCount ?? 0) > 0) return;
        void job.stop();
      },
    );
    this.#releaseTimers.set(key, cancel);
  }

  #cancelRelease(key: string): void {
    this.#releaseTimers.get(key)?.();
    this.#releaseTimers.delete(key);
  }

  #start(spec: JobSpec, onDemand: boolean): TranscodeJob {
    if (this.#closed) {
      throw new StreamError(
        "Closed",
        `Cannot start ${spec.key}: the transcode service is closed`,
      );
    }
    const max = this.#o.maxTranscoders ?? 4;
    const running = [...this.#jobs.values()].filter((j) => !j.stopping).length;
    if (running >= max) {
      const reason =
        `Cannot start ${spec.key}: ${running} transcoders running (maxTranscoders ${max})`;
      this.#emit({ type: "refused", key: spec.key, reason });
      throw new StreamError("LimitExceeded", reason);
    }
    const job = new TranscodeJob(spec, this.#o.host, {
      started: (key, pid) => this.#emit({ type: "started", key, pid }),
      restarting: (key, attempt, delayMs, reason) =>
        this.#emit({ type: "restarting", key, attempt, delayMs, reason }),
      stopped: (key, reason) => this.#emit({ type: "stopped", key, reason }),
    });
    this.#jobs.set(spec.key, job);
    if (onDemand) {
      this.#onDemandJobs.add(spec.key);
      // A viewer that never comes: release after the grace too.
      void job.output.then(() => this.#scheduleRelease(spec.key), () => {});
    }
    void job.done.then(() => {
      if (this.#jobs.get(spec.key) === job) {
        this.#jobs.delete(spec.key);
        this.#onDemandJobs.delete(spec.key);
        this.#cancelRelease(spec.key);
      }
    });
    return job;
  }

  #specOf(
    source: string,
    variant: string,
    handle: StreamHandle,
  ): JobSpec | undefined {
    const o = this.#o;
    const base = {
      key: derivedKey(source, variant),
      source,
      variant,
      ffmpegPath: o.ffmpegPath ?? "ffmpeg",
      maxQueueBytes: o.maxQueueBytes ?? 8 << 20,
      backoffMs: o.restartBackoffMs ?? 500,
      maxBackoffMs: o.maxRestartBackoffMs ?? 10_000,
    };
    if (variant === "opus" || variant === "aac") {
      const input: PipeFormat = variant === "aac" ? "mpegts" : "flv";
      const output: PipeFormat = variant === "opus" ? "mpegts" : "flv";
      if (output === "mpegts" && !o.createTsReader) {
        throw new StreamError(
          "Unsupported",
          `Cannot start ${base.key}: an Opus bridge needs createTsReader (an MPEG-TS demuxer)`,
        );
      }
      return {
        ...base,
        args: audioBridgeArgs(variant, { input, output }),
        input,
        output,
        createReader: output === "mpegts" ? o.createTsReader : undefined,
      };
    }
    const rendition = (this.#plans.get(source) ?? this.#plan(source, handle))
      .find((r) => r.name === variant);
    if (!rendition) return undefined;
    const codecArgs = {
      preset: o.preset ?? "veryfast",
      threads: o.threads ?? 0,
    };
    return {
      ...base,
      args: renditionArgs(rendition, {
        ...codecArgs,
        input: "flv",
        output: "flv",
      }),
      input: "flv",
      output: "flv",
    };
  }

  #plan(
    key: string,
    handle: StreamHandle,
    config?: MediaFrame,
  ): PlannedRendition[] {
    config ??= handle.gopCache.configFrames().find((f) => f.kind === "video");
    if (!config) return [];
    let width = 0, height = 0;
    try {
      const info = parseCodecConfig(config);
      width = info.width ?? 0;
      height = info.height ?? 0;
    } catch { /* an unreadable config: no renditions */ }
    const plan = planLadder(
      width,
      height,
      this.ladderOf(key.slice(0, key.indexOf("/"))),
    );
    this.#plans.set(key, plan);
    return plan;
  }

  /** The source's video config: from its cache, else the first one published (bounded wait). */
  async #waitForVideoConfig(
    handle: StreamHandle,
  ): Promise<MediaFrame | undefined> {
    const cached = handle.gopCache.configFrames().find((f) =>
      f.kind === "video"
    );
    if (cached) return cached;
    const sub = handle.subscribe({ replay: true, waitForKeyframe: false });
    try {
      for (let i = 0; i < 600; i++) {
        const frame = await sub.next();
        if (frame === null) return undefined;
        if (frame.kind === "video" && frame.config) return frame;
      }
      return undefined;
    } catch {
      return undefined;
    } finally {
      sub.close("video config found");
    }
  }
}
