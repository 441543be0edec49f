// The lazy ladder of one source, supervised: ONE ffmpeg for all its
// renditions (see _ladder_run.ts), started again after a doubling backoff
// when it dies while the source lives (every rendition ends and is published
// again: `onRestart`), like a TranscodeJob does for a single rendition.
// Each rendition is seen by the service as a `LadderRendition` (stats: the
// shared process's pid, progress, restarts and stdin queue; its own frame
// count and bypass drops). Memory: the run's bounded stdin queue, one
// bounded bypass queue per rendition, one slab page being filled per
// rendition (_flv_tag_slab.ts).
import type { MediaFrame } from "../media/frame.ts";
import type { StreamHost, Subscription } from "../src/mod.ts";
import type { FfmpegProgress } from "./ffmpeg_progress.ts";
import type { PlannedRendition } from "./ladder.ts";
import type { JobEvents, JobSpec } from "./_transcode_job.ts";
import {
  type LadderRun,
  type LadderRunOptions,
  openLadder,
} from "./_ladder_run.ts";
import { RestartBackoff } from "./_restart_backoff.ts";

/** How a ladder is started (built by the service). */
export interface LadderSpec
  extends Omit<LadderRunOptions, "name" | "renditions" | "acceptMs" | "clock"> {
  source: string;
  /** One job spec per rendition (keys, variants), in output order. */
  renditions: readonly (JobSpec & { rendition: PlannedRendition })[];
  backoffMs: number;
  maxBackoffMs: number;
}

/** Where a ladder's output goes (the service publishes it). */
export interface LadderSink {
  /** A batch of rendition `index`'s frames. */
  frames(index: number, batch: MediaFrame[]): void;
  /** ffmpeg died: every rendition ends (and is published again on its next frame). */
  restart(): void;
}

/** One rendition of a running ladder, as the service's stats see it. */
export class LadderRendition {
  readonly spec: JobSpec;
  readonly job: LadderJob;
  readonly index: number;
  frames = 0;

  constructor(spec: JobSpec, job: LadderJob, index: number) {
    this.spec = spec;
    this.job = job;
    this.index = index;
  }

  get startedAt(): number {
    return this.job.startedAt;
  }
  get restarts(): number {
    return this.job.restarts;
  }
  get droppedFrames(): number {
    return this.job.droppedFrames(this.index);
  }
  get queuedBytes(): number {
    return this.job.queuedBytes;
  }
  get progress(): FfmpegProgress | undefined {
    return this.job.progress;
  }
  get pid(): number | undefined {
    return this.job.pid;
  }
  get framesOut(): number {
    return this.frames;
  }
  /** Stops the whole ladder (one process). */
  stop(): void {
    this.job.stop();
  }
}

export class LadderJob {
  readonly spec: LadderSpec;
  readonly startedAt: number;
  readonly renditions: LadderRendition[];
  #host: StreamHost;
  #events: JobEvents;
  #backoff: RestartBackoff;
  #abort = new AbortController();
  #run: LadderRun | undefined;
  #dropped: number[];

  constructor(spec: LadderSpec, host: StreamHost, events: JobEvents) {
    this.spec = spec;
    this.#host = host;
    this.#events = events;
    this.startedAt = host.clock.now();
    this.#backoff = new RestartBackoff(
      host.clock,
      spec.backoffMs,
      spec.maxBackoffMs,
    );
    this.renditions = spec.renditions.map((r, i) =>
      new LadderRendition(r, this, i)
    );
    this.#dropped = spec.renditions.map(() => 0);
  }

  get restarts(): number {
    return this.#backoff.restarts;
  }

  /** Frames dropped for rendition `index`: the shared stdin queue's (video) plus its own bypass queue's. */
  droppedFrames(index: number): number {
    const run = this.#run;
    return this.#dropped[index]! + (run?.feeder.dropped ?? 0) +
      (run?.mergers[index]?.dropped ?? 0);
  }

  get queuedBytes(): number {
    return this.#run?.feeder.queuedBytes ?? 0;
  }

  get progress(): FfmpegProgress | undefined {
    return this.#run?.progress.last;
  }

  get pid(): number | undefined {
    return this.#run?.pid;
  }

  get stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  stop(): void {
    this.#abort.abort();
    this.#backoff.wake();
  }

  /** Run the ladder (across restarts) into `sink` until stopped or the source ends. */
  async run(sink: LadderSink): Promise<void> {
    const spec = this.spec;
    const keys = spec.renditions.map((r) => r.key);
    const signal = this.#abort.signal;
    let reason = "source ended";
    try {
      while (!signal.aborted) {
        const source = this.#host.getStream(spec.source);
        if (!source || source.ended) break;
        const runStarted = this.#host.clock.now();
        let sub: Subscription | undefined;
        let failure: string | undefined;
        try {
          sub = source.subscribeResilient();
          const run = await openLadder(
            {
              name: spec.source,
              renditions: spec.renditions.map((r) => r.rendition),
              ffmpegPath: spec.ffmpegPath,
              preset: spec.preset,
              threads: spec.threads,
              maxQueueBytes: spec.maxQueueBytes,
              maxQueueMs: spec.maxQueueMs,
              tags: spec.tags,
              clock: this.#host.clock,
              ioIntervalMs: spec.ioIntervalMs,
              flushPackets: spec.flushPackets,
              tickMs: spec.tickMs,
            },
            sub,
            signal,
          );
          this.#keepDropped();
          this.#run = run;
          for (const key of keys) this.#events.started(key, run.pid);
          const pumps = run.outputs.map(async (out, i) => {
            const view = this.renditions[i]!;
            for (let b = await out.next(); b !== null; b = await out.next()) {
              view.frames += b.length;
              sink.frames(i, b);
            }
          });
          try {
            const results = await Promise.allSettled(
              pumps.map((p) =>
                p.catch(async (error) => {
                  await run.cancel(); // one output failed: end them all
                  throw error;
                })
              ),
            );
            const bad = results.find((r) => r.status === "rejected");
            if (bad) throw (bad as PromiseRejectedResult).reason;
          } finally {
            await run.cancel(); // a no-op once ffmpeg ended
            this.#keepDropped(); // and no pid while waiting to restart
          }
        } catch (error) {
          failure = error instanceof Error ? error.message : String(error);
        } finally {
          sub?.close("transcoder run ended");
        }
        if (signal.aborted) break;
        const now = this.#host.getStream(spec.source);
        if (!now || now.ended || now !== source) break;
        failure ??= "ffmpeg ended before its source";
        const { attempt, delayMs: delay } = this.#backoff.next(runStarted);
        reason = failure;
        for (const key of keys) {
          this.#events.restarting(key, attempt, delay, failure);
        }
        sink.restart();
        await this.#backoff.wait(delay);
      }
    } finally {
      if (signal.aborted) reason = "stopped";
      this.#abort.abort();
      this.#keepDropped();
      this.#run = undefined;
      for (const key of keys) this.#events.stopped(key, reason);
    }
  }

  /** Fold the ending run's drop counts into the totals. */
  #keepDropped(): void {
    const run = this.#run;
    if (!run) return;
    this.#dropped = this.#dropped.map((n, i) =>
      n + run.feeder.dropped + (run.mergers[i]?.dropped ?? 0)
    );
    this.#run = undefined;
  }
}
