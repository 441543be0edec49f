// The restart policy of a supervised ffmpeg (a single job or a whole
// ladder): after a run that ended while its source lives, the next run
// starts after a backoff that doubles from `backoffMs` up to
// `maxBackoffMs`, and starts over after a run that lasted 30 s; the wait is
// on the host's clock and ends at once when the job is stopped (`wake`).
import type { StreamHost } from "../src/mod.ts";

/** A run that lasted this long resets the backoff, ms. */
const STABLE_RUN_MS = 30_000;

/** Attempts, delays and the interruptible wait of one supervised job. */
export class RestartBackoff {
  #clock: StreamHost["clock"];
  #backoffMs: number;
  #maxBackoffMs: number;
  #attempt = 0;
  #restarts = 0;
  #wake: (() => void) | undefined;

  constructor(
    clock: StreamHost["clock"],
    backoffMs: number,
    maxBackoffMs: number,
  ) {
    this.#clock = clock;
    this.#backoffMs = backoffMs;
    this.#maxBackoffMs = maxBackoffMs;
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.#restarts;
  }

  /** A run that started at `runStartedMs` ended: the next attempt and its delay. */
  next(runStartedMs: number): { attempt: number; delayMs: number } {
    if (this.#clock.now() - runStartedMs > STABLE_RUN_MS) this.#attempt = 0;
    this.#attempt++;
    this.#restarts++;
    const delayMs = Math.min(
      this.#maxBackoffMs,
      this.#backoffMs * 2 ** (this.#attempt - 1),
    );
    return { attempt: this.#attempt, delayMs };
  }

  /** Wait `ms` on the clock, or until {@linkcode RestartBackoff.wake}. */
  async wait(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const cancel = this.#clock.setTimer(ms, resolve);
      this.#wake = () => {
        cancel();
        resolve();
      };
    });
    this.#wake = undefined;
  }

  /** End a wait now (the job is stopping). */
  wake(): void {
    this.#wake?.();
  }
}
