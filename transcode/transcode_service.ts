/**
 * {@linkcode TranscodeService}: ABR renditions and audio bridges as derived
 * streams of the engine, ffmpeg children supervised by the service (one per
 * lazy ladder, one per on-demand rendition or audio bridge),
 * plugged into the kernel's pipeline seam (`host.attach`, a
 * `StreamPipeline` run per published source) and on-demand seam
 * (`host.attachOnDemand`, an `OnDemandProvider` asked when a viewer plays
 * a derived key that is not live).
 *
 * - **Renditions** (`live/cam~480p`): from the ladder of the source's
 *   application (`ladders`, keyed by app name, `"*"` for any). Lazy mode
 *   (default) starts them when the source is published (once its video
 *   config tells the size: rungs at or above the source height are left
 *   out, the source itself is the top rendition), all of a source's
 *   renditions in ONE ffmpeg: the source decoded once, one encoder per
 *   rendition, each output on its own socket (by default with
 *   `--allow-ffi` on Linux ticked ones: libc loopback TCP sockets that no
 *   epoll watches, drained every `ladderTickMs`; else Unix sockets in a
 *   private temp dir with an unscoped `--allow-net` and read/write on
 *   TMPDIR; loopback TCP with only `--allow-net=127.0.0.1`; without any,
 *   one ffmpeg per rendition on its stdout); on-demand mode starts
 *   one when a viewer plays its key (`engine.authorizePlay`, or
 *   `ensure(key)`), and the engine ends it `onDemandGraceMs` after its
 *   last viewer left.
 * - **Audio bridges** (`live/cam~opus`: video copied, AAC → Opus;
 *   `live/cam~aac`: Opus → AAC): always on demand, one per stream (the
 *   engine shares one start among concurrent viewers), never per viewer.
 * - At most `maxTranscoders` ffmpeg processes run (a lazy ladder is one,
 *   whatever its number of rungs); past it a start is refused with
 *   `StreamError` `LimitExceeded` (and a `refused` event per key).
 * - A crashed ffmpeg is restarted with a doubling backoff (event
 *   `restarting`); the derived stream ends and is published again, so HLS
 *   continues it after an EXT-X-DISCONTINUITY. A ladder's ffmpeg dying
 *   ends and republishes every rendition of the ladder. Source viewers are
 *   never affected: a job is one more resilient subscriber of the source.
 * - `stats(key)`: progress parsed from ffmpeg's stderr (speed, fps, bit
 *   rate), restarts, dropped frames, queued bytes, the ffmpeg pid (a
 *   ladder's renditions share the process's pid, progress, restarts and
 *   stdin queue; `framesOut` is each rendition's own).
 *
 * Data path of a lazy ladder: the source's frames (their bytes stay in the
 * source's buffers) are taken from ONE subscription in batches; video is
 * serialized once into FLV tags (a `PipeTagCache` shared by the service)
 * and written to ffmpeg's stdin by one `StdinFeeder`, one write per drained
 * batch, its queue bounded by bytes and media time (drops up to the next
 * keyframe); audio skips ffmpeg: a reference waits in each rendition's
 * bounded bypass queue and is merged back by decode time. ffmpeg decodes
 * once and writes each rendition as FLV to its socket; each socket is read
 * straight into the free tail of its rendition's slab page (the kernel's
 * copy is the only one; ticked: until EAGAIN once per tick), its complete
 * tags parsed in place by that rendition's `FlvReader`, then published as
 * `{source}~{rendition}`. On-demand renditions and audio bridges: see
 * `FfmpegTranscoder` (one ffmpeg, stdin queue, stdout read on demand).
 * Memory per process: the stdin queue bound, one slab page being filled
 * and one bypass queue per output; the service holds one record per derived stream.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import type {
  Credentials,
  HttpRouteProvider,
  MediaSource,
  OnDemandProvider,
  StreamHandle,
  StreamKey,
  StreamPipeline,
} from "../src/mod.ts";
import {
  derivedKey,
  parseDerivedKey,
  type PlannedRendition,
  type RenditionSpec,
} from "./ladder.ts";
import {
  type JobEvents,
  type JobSpec,
  RESTART,
  TranscodeJob,
} from "./_transcode_job.ts";
import {
  jobSpecOf,
  ladderOutputOf,
  ladderSpecOf,
  planFor,
  waitForVideoConfig,
} from "./_job_specs.ts";
import {
  LadderJob,
  type LadderRendition,
  type LadderSpec,
} from "./_ladder_job.ts";
import { ladderTransport } from "./_ladder_sockets.ts";
import { publishJob, publishLadder } from "./_lazy_publish.ts";
import { PipeTagCache } from "./pipe_tags.ts";
import { statsRoutes } from "./_stats_routes.ts";
import type {
  TranscodeEvent,
  TranscodeServiceOptions,
  TranscodeStats,
} from "./transcode_types.ts";

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
  /** Every running derived stream (a ladder's renditions share one process). */
  #jobs = new Map<string, TranscodeJob | LadderRendition>();
  /** Every running ffmpeg supervisor: what `maxTranscoders` counts. */
  #procs = new Set<TranscodeJob | LadderJob>();
  #plans = new Map<string, PlannedRendition[]>();
  /** stdin FLV tags shared by this service's renditions (frames are the sources'). */
  #tags = new PipeTagCache();
  #off: Array<() => void> = [];
  #closed = false;

  /**
   * Attach to the host: a pipeline per published source (lazy renditions)
   * and an on-demand provider (on-demand renditions, audio bridges).
   *
   * @param options host, ladders, limits
   */
  constructor(options: TranscodeServiceOptions) {
    this.#o = options;
    const pipeline: StreamPipeline = {
      name: "transcode",
      accepts: (key) => key.variant === undefined,
      run: (stream, context) => this.#runLazy(stream, context.signal),
    };
    const provider: OnDemandProvider = {
      name: "transcode",
      sourceFor: (key, credentials) => this.#sourceFor(key, credentials),
    };
    this.#off.push(
      options.host.attach(pipeline),
      options.host.attachOnDemand(provider),
    );
  }

  /** `lazy` or `on-demand` (renditions). */
  get mode(): "lazy" | "on-demand" {
    return this.#o.mode ?? "lazy";
  }

  /**
   * The ladder configured for `app` (its own, else `"*"`, else none).
   *
   * @param app the application name
   * @returns the rungs
   */
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

  /**
   * Every running derived stream's figures.
   *
   * @returns one record per job
   */
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
   * `GET /api/transcode` (every job's {@linkcode TranscodeStats}) and
   * `GET /api/transcode/{app}/{name}~{variant}` (one), as an
   * `HttpRouteProvider` for `createHttpApp`'s `extraRoutes`.
   *
   * @returns the route provider
   */
  routes(): HttpRouteProvider {
    return statsRoutes(this);
  }

  /**
   * The derived stream `key`, started on demand if it is not live (a
   * rendition of the source's ladder, or an audio bridge `~opus` / `~aac`),
   * through the engine's play path (`authorizePlay`: the authenticator is
   * asked with `credentials`); resolves once it published its first frame.
   * For an audio bridge whose source already carries that codec, the
   * source itself.
   *
   * @param key the derived key
   * @param credentials who asks (default `{ protocol: "transcode" }`)
   * @returns the derived stream
   * @throws {StreamError} `NotFound`, `LimitExceeded` (cap), `Timeout`, `Unauthorized`
   */
  async ensure(
    key: string,
    credentials: Credentials = { protocol: "transcode" },
  ): Promise<StreamHandle> {
    const parsed = parseDerivedKey(key.toString());
    if (parsed && (parsed.variant === "opus" || parsed.variant === "aac")) {
      const source = this.#o.host.getStream(parsed.source);
      const audio = source?.gopCache.configFrames().find((f) =>
        f.kind === "audio"
      );
      if (source && audio?.codec === parsed.variant) return source;
    }
    return await this.#o.host.authorizePlay(key.toString(), credentials);
  }

  /**
   * The audio bridge of `source`: `opus` (AAC → Opus, for WebRTC) or `aac`
   * (Opus → AAC, for HLS/FLV/RTMP); one per stream.
   *
   * @param source the source key
   * @param target the output audio codec
   * @param credentials who asks (default `{ protocol: "transcode" }`)
   * @returns the derived stream `{source}~{target}` (or the source when it already is `target`)
   */
  ensureAudio(
    source: string,
    target: "opus" | "aac",
    credentials?: Credentials,
  ): Promise<StreamHandle> {
    return this.ensure(derivedKey(source.toString(), target), credentials);
  }

  /** Detach from the host and stop every job (their derived streams end). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) job.stop();
    const deadline = Date.now() + 5000;
    while (this.#jobs.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
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

  /** Pipeline run for one published source: lazy renditions, drained with it. */
  async #runLazy(stream: StreamHandle, signal: AbortSignal): Promise<void> {
    const key = stream.key.toString();
    this.#plans.delete(key);
    if (this.#closed || (this.#o.mode ?? "lazy") !== "lazy") return;
    if (this.ladderOf(stream.key.app).length === 0) return;
    const config = await waitForVideoConfig(stream);
    if (!config || this.#closed || stream.ended) return;
    const renditions = [];
    for (const r of this.#plan(key, stream, config)) {
      const spec = this.#specOf(key, r.name);
      if (spec && !this.#jobs.has(spec.key)) {
        renditions.push({ ...spec, rendition: r });
      }
    }
    if (renditions.length === 0) return;
    if (!ladderTransport() && ladderOutputOf(this.#o) !== "ticked") {
      // No socket for a ladder's outputs (ticked ones need FFI, not
      // --allow-net): one ffmpeg per rendition (stdout).
      const runs: Promise<void>[] = [];
      for (const spec of renditions) {
        let job: TranscodeJob;
        try {
          job = this.#start(spec);
        } catch {
          continue; // refused past the cap: reported as an event
        }
        signal.addEventListener("abort", () => job.stop(), { once: true });
        if (signal.aborted) job.stop();
        runs.push(
          publishJob(
            this.#o.host,
            job,
            (e) => this.#emit(e),
            () => this.#forget(job),
          ),
        );
      }
      await Promise.all(runs);
      return;
    }
    let job: LadderJob;
    try {
      job = this.#startLadder(ladderSpecOf(this.#o, key, renditions));
    } catch {
      return; // refused past the cap: reported as events
    }
    // The engine's shutdown deadline passed: stop now.
    signal.addEventListener("abort", () => job.stop(), { once: true });
    if (signal.aborted) job.stop();
    await publishLadder(this.#o.host, job, (e) => this.#emit(e), () => {
      for (const view of job.renditions) {
        if (this.#jobs.get(view.spec.key) === view) {
          this.#jobs.delete(view.spec.key);
        }
      }
      this.#procs.delete(job);
    });
  }

  /** On-demand provider: a source for a derived key this service can make. */
  #sourceFor(key: StreamKey, _credentials: Credentials): MediaSource | null {
    const variant = key.variant;
    if (this.#closed || variant === undefined) return null;
    const sourceKey = key.base.toString();
    const source = this.#o.host.getStream(sourceKey);
    if (!source || source.ended) return null;
    const isAudio = variant === "opus" || variant === "aac";
    if (!isAudio && (this.#o.mode ?? "lazy") === "lazy") {
      // Lazy renditions run with their source; one not running (refused,
      // not planned) is not started by a viewer.
      return null;
    }
    const spec = this.#specOf(sourceKey, variant);
    if (!spec) return null;
    const job = this.#start(spec); // throws LimitExceeded past the cap
    const forget = () => this.#forget(job);
    return {
      name: `transcode ${spec.key}`,
      async *frames(signal: AbortSignal): AsyncGenerator<MediaFrame> {
        const stop = () => job.stop();
        signal.addEventListener("abort", stop, { once: true });
        try {
          for await (const item of job.batches()) {
            if (item !== RESTART) yield* item;
          }
        } finally {
          signal.removeEventListener("abort", stop);
          job.stop();
          forget();
        }
      },
    };
  }

  #forget(job: TranscodeJob): void {
    if (this.#jobs.get(job.spec.key) === job) this.#jobs.delete(job.spec.key);
    this.#procs.delete(job);
  }

  /** Refuse past `maxTranscoders` (ffmpeg processes: a ladder is one). */
  #admit(keys: readonly string[]): void {
    if (this.#closed) {
      throw new StreamError(
        "Closed",
        `Cannot start ${keys.join(", ")}: the transcode service is closed`,
      );
    }
    const max = this.#o.maxTranscoders ?? 4;
    const running = this.#procs.size;
    if (running >= max) {
      const reason = `Cannot start ${
        keys.join(", ")
      }: ${running} transcoders running (maxTranscoders ${max})`;
      for (const key of keys) this.#emit({ type: "refused", key, reason });
      throw new StreamError("LimitExceeded", reason);
    }
  }

  #events(): JobEvents {
    return {
      started: (key, pid) => this.#emit({ type: "started", key, pid }),
      restarting: (key, attempt, delayMs, reason) =>
        this.#emit({ type: "restarting", key, attempt, delayMs, reason }),
      stopped: (key, reason) => this.#emit({ type: "stopped", key, reason }),
    };
  }

  #startLadder(spec: LadderSpec): LadderJob {
    this.#admit(spec.renditions.map((r) => r.key));
    const job = new LadderJob(
      { ...spec, tags: this.#tags },
      this.#o.host,
      this.#events(),
    );
    for (const view of job.renditions) this.#jobs.set(view.spec.key, view);
    this.#procs.add(job);
    return job;
  }

  #start(spec: JobSpec): TranscodeJob {
    this.#admit([spec.key]);
    const job = new TranscodeJob(
      { ...spec, tags: this.#tags },
      this.#o.host,
      this.#events(),
    );
    this.#jobs.set(spec.key, job);
    this.#procs.add(job);
    return job;
  }

  #specOf(source: string, variant: string): JobSpec | undefined {
    const handle = this.#o.host.getStream(source);
    const plan = this.#plans.get(source) ??
      (handle ? this.#plan(source, handle) : []);
    return jobSpecOf(this.#o, source, variant, plan);
  }

  #plan(
    key: string,
    handle: StreamHandle,
    config?: MediaFrame,
  ): PlannedRendition[] {
    config ??= handle.gopCache.configFrames().find((f) => f.kind === "video");
    const plan = planFor(handle, this.ladderOf(handle.key.app), config);
    // Without a video config yet the plan is empty for now, not for good.
    if (config) this.#plans.set(key, plan);
    return plan;
  }
}
