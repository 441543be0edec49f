// Lifecycle helpers of the engine: deadlines on the injected clock, waiting
// for an abort, and the OS signals that trigger a graceful shutdown.
import type { Clock } from "./clock.ts";
import type { MediaSource } from "./contracts.ts";
import type { EventBus } from "./events.ts";
import type { StreamHandle } from "./stream_handle.ts";
import type { LiveStream } from "./_live_stream.ts";

/**
 * Resolve true when `work` settles within `ms` on `clock`, false otherwise.
 * `ms <= 0` waits for nothing (no timer: works with a stopped ManualClock).
 */
export async function withinDeadline(
  clock: Clock,
  ms: number,
  work: Promise<unknown>,
): Promise<boolean> {
  if (ms <= 0) return false;
  let cancel: (() => void) | undefined;
  const deadline = new Promise<false>((resolve) => {
    cancel = clock.setTimer(ms, () => resolve(false));
  });
  try {
    return await Promise.race([work.then(() => true, () => true), deadline]);
  } finally {
    cancel?.();
  }
}

/** Resolve when `signal` aborts (at once if it already did). */
export function abortedPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * Run `body` with SIGINT/SIGTERM (SIGINT/SIGBREAK on Windows) wired to the
 * signal it receives; the listeners are removed afterwards.
 */
export async function withShutdownSignals(
  body: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    await body(controller.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

/** Publish the frames of `source` into `handle` until done or aborted, then end it. */
export async function pumpFrames(
  handle: StreamHandle,
  source: MediaSource,
  signal: AbortSignal,
): Promise<number> {
  let count = 0;
  try {
    for await (const frame of source.frames(signal)) {
      if (signal.aborted || handle.ended) break;
      handle.publishFrame(frame);
      count++;
    }
  } finally {
    handle.end(`source ${source.name} finished`);
  }
  return count;
}

/**
 * Shutdown's drain: end every stream, wait up to `deadlineMs` for their
 * subscribers to read what is left, evict the rest, and report both phases.
 */
export async function drainStreams(
  streams: readonly LiveStream[],
  clock: Clock,
  deadlineMs: number,
  events: EventBus,
): Promise<void> {
  const attached = (): number =>
    streams.reduce((n, s) => n + s.subscriberCount, 0);
  events.emit({
    type: "shutdown",
    phase: "started",
    streams: streams.length,
    subscribers: attached(),
  });
  for (const stream of streams) stream.endNow("shutdown");
  await withinDeadline(
    clock,
    deadlineMs,
    Promise.all(streams.map((s) => s.drained)),
  );
  const left = attached();
  for (const stream of streams) stream.evictAll("shutdown");
  events.emit({
    type: "shutdown",
    phase: left === 0 ? "drained" : "deadline",
    streams: streams.length,
    subscribers: left,
  });
}
