// The engine's pipeline runner (the pipeline seam, see pipeline.ts): which
// pipelines are attached, one run per (pipeline, stream) started
// synchronously at publish, errors reported as `handlerError`, and the
// shutdown drain (wait up to the deadline, then abort the runs' signals).
// Memory: one record per running run; none per frame.
import type { StreamHost } from "./contracts.ts";
import type { EventBus } from "./events.ts";
import type { StreamPipeline } from "./contracts.ts";
import type { StreamHandle } from "./stream_handle.ts";

interface Run {
  stream: StreamHandle;
  abort: AbortController;
  done: Promise<void>;
}

export class PipelineRunner {
  readonly #host: StreamHost;
  readonly #events: EventBus;
  readonly #pipelines: StreamPipeline[] = [];
  readonly #runs = new Set<Run>();
  readonly #perStream = new WeakMap<StreamHandle, number>();

  constructor(host: StreamHost, events: EventBus) {
    this.#host = host;
    this.#events = events;
  }

  /** Attach `pipeline` (also to `live` streams); returns detach (no new runs). */
  attach(
    pipeline: StreamPipeline,
    live: Iterable<StreamHandle>,
  ): () => void {
    this.#pipelines.push(pipeline);
    for (const stream of live) this.#start(pipeline, stream);
    return () => {
      const at = this.#pipelines.indexOf(pipeline);
      if (at >= 0) this.#pipelines.splice(at, 1);
    };
  }

  /** A stream was published: start every attached pipeline that accepts it. */
  published(stream: StreamHandle): void {
    for (const pipeline of [...this.#pipelines]) this.#start(pipeline, stream);
  }

  /** Pipeline runs in progress on `stream` (each is expected to hold one subscription). */
  runningOn(stream: StreamHandle): number {
    return this.#perStream.get(stream) ?? 0;
  }

  /** Every run's completion (settled; errors were reported). */
  idle(): Promise<void> {
    return Promise.all([...this.#runs].map((r) => r.done)).then(() => {});
  }

  /** Abort the runs still going (the shutdown deadline passed). */
  abortAll(): void {
    for (const run of this.#runs) run.abort.abort();
  }

  #start(pipeline: StreamPipeline, stream: StreamHandle): void {
    if (stream.ended) return;
    try {
      if (pipeline.accepts !== undefined && !pipeline.accepts(stream.key)) {
        return;
      }
    } catch (error) {
      this.#report(pipeline, error);
      return;
    }
    const abort = new AbortController();
    let work: Promise<void>;
    try {
      work = Promise.resolve(
        pipeline.run(stream, { host: this.#host, signal: abort.signal }),
      );
    } catch (error) {
      work = Promise.reject(error);
    }
    this.#perStream.set(stream, this.runningOn(stream) + 1);
    const run: Run = {
      stream,
      abort,
      done: work.then(
        () => {},
        (error: unknown) => this.#report(pipeline, error),
      ).finally(() => {
        this.#runs.delete(run);
        this.#perStream.set(stream, this.runningOn(stream) - 1);
      }),
    };
    this.#runs.add(run);
  }

  #report(pipeline: StreamPipeline, error: unknown): void {
    this.#events.emit({ type: "handlerError", name: pipeline.name, error });
  }
}
