// One supervised derived stream: subscribe (resilient) to the source, run an
// FfmpegTranscoder over it, publish its output as the derived key; when
// ffmpeg dies, end the derived stream (so HLS packaging continues it with
// EXT-X-DISCONTINUITY on the next publish) and restart after a backoff that
// doubles up to a cap and resets after a run that lasted. The source and its
// viewers never see any of it: the job is one more subscriber.
import type { MediaFrame } from "../media/frame.ts";
import type { StreamHandle, StreamHost, Subscription } from "../src/mod.ts";
import { FfmpegTranscoder, type FrameReader } from "./ffmpeg_transcoder.ts";
import type { FfmpegProgress } from "./ffmpeg_progress.ts";
import type { PipeFormat } from "./ffmpeg_args.ts";

/** How a job is started (built by the service). */
export interface JobSpec {
  key: string;
  source: string;
  variant: string;
  args: readonly string[];
  input: PipeFormat;
  output: PipeFormat;
  createReader?: (() => FrameReader) | undefined;
  ffmpegPath: string;
  maxQueueBytes: number;
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

export class TranscodeJob {
  readonly spec: JobSpec;
  readonly startedAt: number;
  #host: StreamHost;
  #events: JobEvents;
  #abort = new AbortController();
  #transcoder: FfmpegTranscoder | undefined;
  #restarts = 0;
  #dropped = 0;
  #frames = 0;
  #out: StreamHandle | undefined;
  #firstOutput: PromiseWithResolvers<StreamHandle> = Promise.withResolvers();
  #cancelTimer: (() => void) | undefined;
  #wakeTimer: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(spec: JobSpec, host: StreamHost, events: JobEvents) {
    this.spec = spec;
    this.#host = host;
    this.#events = events;
    this.startedAt = host.clock.now();
    this.#firstOutput.promise.catch(() => {});
    this.done = this.#run();
  }

  /** Resolves with the derived stream once it published its first frame. */
  get output(): Promise<StreamHandle> {
    return this.#firstOutput.promise;
  }

  /** The live derived stream, if any. */
  get handle(): StreamHandle | undefined {
    return this.#out;
  }

  get restarts(): number {
    return this.#restarts;
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

  /** Stop: kill ffmpeg, end the derived stream. */
  stop(): Promise<void> {
    this.#abort.abort();
    this.#cancelTimer?.();
    this.#wakeTimer?.();
    return this.done;
  }

  async #run(): Promise<void> {
    const spec = this.spec;
    let attempt = 0;
    let reason = "source ended";
    while (!this.#abort.signal.aborted) {
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
          ...(spec.createReader ? { createReader: spec.createReader } : {}),
        });
        if (this.#transcoder) this.#dropped += this.#transcoder.droppedFrames;
        this.#transcoder = transcoder;
        const output = transcoder.transform(sub.readable, this.#abort.signal);
        this.#events.started(spec.key, transcoder.pid);
        for await (const frame of output) this.#publish(frame);
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      } finally {
        sub?.close("transcoder run ended");
        this.#endOutput(failure ?? "transcoder ended");
      }
      if (this.#abort.signal.aborted) break;
      const now = this.#host.getStream(spec.source);
      if (!now || now.ended || now !== source) break;
      failure ??= "ffmpeg ended before its source";
      if (this.#host.clock.now() - runStarted > 30_000) attempt = 0;
      attempt++;
      this.#restarts++;
      const delay = Math.min(
        spec.maxBackoffMs,
        spec.backoffMs * 2 ** (attempt - 1),
      );
      reason = failure;
      this.#events.restarting(spec.key, attempt, delay, failure);
      await new Promise<void>((resolve) => {
        const cancel = this.#host.clock.setTimer(delay, resolve);
        this.#wakeTimer = () => {
          cancel();
          resolve();
        };
      });
      this.#wakeTimer = undefined;
    }
    if (this.#abort.signal.aborted) reason = "stopped";
    this.#firstOutput.reject(
      new Error(`Cannot start ${spec.key}: ${reason}`),
    );
    this.#events.stopped(spec.key, reason);
  }

  #publish(frame: MediaFrame): void {
    if (this.#out === undefined || this.#out.ended) {
      this.#out = this.#host.startPublish(this.spec.key);
      this.#firstOutput.resolve(this.#out);
    }
    this.#frames++;
    this.#out.publishFrame(frame);
  }

  #endOutput(reason: string): void {
    if (this.#out !== undefined && !this.#out.ended) {
      this.#host.endPublish(this.spec.key, reason);
    }
    this.#out = undefined;
  }
}
