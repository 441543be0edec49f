// One supervised derived stream: subscribe (resilient) to the source, run an
// FfmpegTranscoder over it (`open(subscription)`: input frames taken in
// batches, one wake-up per publish; no Web Stream on either side) and yield
// its output frames (one array per read of ffmpeg's output: one generator
// hop per read, not per frame); when
// ffmpeg dies while the source lives, yield RESTART and start again after a
// backoff that doubles up to a cap (and resets after a run that lasted
// 30 s). The source and its viewers never see any of it: the job is one more
// subscriber. Memory: the transcoder's bounded stdin queue; frames are
// yielded as ffmpeg's output is read (one read's frames at a time).
import type { MediaFrame } from "../media/frame.ts";
import type { StreamHost, Subscription } from "../src/mod.ts";
import { FfmpegTranscoder } from "./ffmpeg_transcoder.ts";
import type { FrameReader } from "./transcode_types.ts";
import type { FfmpegProgress } from "./ffmpeg_progress.ts";
import type { PipeFormat } from "./ffmpeg_args.ts";
import type { PipeTagCache } from "./pipe_tags.ts";
import { RestartBackoff } from "./_restart_backoff.ts";

/** How a job is started (built by the service). */
export interface JobSpec {
  key: string;
  source: string;
  variant: string;
  args: readonly string[];
  input: PipeFormat;
  output: PipeFormat;
  createReader?: (() => FrameReader) | undefined;
  /** Frames of this kind skip ffmpeg and are merged back (renditions: audio). */
  bypass?: "audio" | "video" | undefined;
  ffmpegPath: string;
  maxQueueBytes: number;
  maxQueueMs: number;
  /** FLV tags for stdin, shared by the service's renditions. */
  tags?: PipeTagCache | undefined;
  backoffMs: number;
  maxBackoffMs: number;
}

/** What a job reports to its service. */
export interface JobEvents {
  started(key: string, pid: number | undefined): void;
  restarting(
    key: string,
    attempt: number,
    delayMs: number,
    reason: string,
  ): void;
  stopped(key: string, reason: string): void;
}

/** Yielded between two ffmpeg runs (the consumer may mark a discontinuity). */
export const RESTART: unique symbol = Symbol("restart");

export class TranscodeJob {
  readonly spec: JobSpec;
  readonly startedAt: number;
  #host: StreamHost;
  #events: JobEvents;
  #backoff: RestartBackoff;
  #abort = new AbortController();
  #transcoder: FfmpegTranscoder | undefined;
  #dropped = 0;
  #frames = 0;

  constructor(spec: JobSpec, host: StreamHost, events: JobEvents) {
    this.spec = spec;
    this.#host = host;
    this.#events = events;
    this.startedAt = host.clock.now();
    this.#backoff = new RestartBackoff(
      host.clock,
      spec.backoffMs,
      spec.maxBackoffMs,
    );
  }

  get restarts(): number {
    return this.#backoff.restarts;
  }

  get droppedFrames(): number {
    return this.#dropped + (this.#transcoder?.droppedFrames ?? 0);
  }

  get queuedBytes(): number {
    return this.#transcoder?.queuedBytes ?? 0;
  }

  get progress(): FfmpegProgress | undefined {
    return this.#transcoder?.progress;
  }

  get pid(): number | undefined {
    return this.#transcoder?.pid;
  }

  get framesOut(): number {
    return this.#frames;
  }

  get stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Stop: kill ffmpeg; `frames()` ends. */
  stop(): void {
    this.#abort.abort();
    this.#backoff.wake();
  }

  /** The output frames across restarts (in batches), with RESTART between two runs. */
  async *batches(): AsyncGenerator<MediaFrame[] | typeof RESTART> {
    const spec = this.spec;
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
          const transcoder = new FfmpegTranscoder({
            name: spec.key,
            args: spec.args,
            input: spec.input,
            output: spec.output,
            ffmpegPath: spec.ffmpegPath,
            maxQueueBytes: spec.maxQueueBytes,
            maxQueueMs: spec.maxQueueMs,
            ...(spec.tags ? { tags: spec.tags } : {}),
            ...(spec.createReader ? { createReader: spec.createReader } : {}),
            ...(spec.bypass ? { bypass: spec.bypass } : {}),
          });
          if (this.#transcoder) this.#dropped += this.#transcoder.droppedFrames;
          this.#transcoder = transcoder;
          const run = transcoder.open(sub, signal);
          this.#events.started(spec.key, transcoder.pid);
          try {
            for (
              let batch = await run.next();
              batch !== null;
              batch = await run.next()
            ) {
              this.#frames += batch.length;
              yield batch;
            }
          } finally {
            await run.cancel(); // a no-op once ffmpeg ended
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
        this.#events.restarting(spec.key, attempt, delay, failure);
        yield RESTART;
        await this.#backoff.wait(delay);
      }
    } finally {
      if (signal.aborted) reason = "stopped";
      this.#abort.abort(); // a consumer that stopped early stops the job too
      this.#events.stopped(spec.key, reason);
    }
  }
}
