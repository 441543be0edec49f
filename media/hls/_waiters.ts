// Blocking-reload waiters for HlsSegmenter.waitFor (LL-HLS §6.2.5.2).
// Memory: one entry per pending request, removed on resolve or abort.

interface Waiter {
  readonly msn: number;
  readonly part: number | undefined;
  readonly resolve: (found: boolean) => void;
  readonly cleanup: () => void;
}

/** Pending `waitFor` calls, resolved when the playlist reaches them. */
export class Waiters {
  #pending = new Set<Waiter>();

  /** Number of pending waits. */
  get size(): number {
    return this.#pending.size;
  }

  /** Wait until `check(msn, part)` holds (true) or `signal` aborts (false). */
  wait(
    msn: number,
    part: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        this.#pending.delete(waiter);
        resolve(false);
      };
      const waiter: Waiter = {
        msn,
        part,
        resolve,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.add(waiter);
    });
  }

  /** Resolve every waiter that `has(msn, part)` now satisfies. */
  notify(has: (msn: number, part: number | undefined) => boolean): void {
    for (const waiter of this.#pending) {
      if (!has(waiter.msn, waiter.part)) continue;
      this.#pending.delete(waiter);
      waiter.cleanup();
      waiter.resolve(true);
    }
  }

  /** Resolve every waiter with false (the stream ended). */
  rejectAll(): void {
    for (const waiter of this.#pending) {
      waiter.cleanup();
      waiter.resolve(false);
    }
    this.#pending.clear();
  }
}
