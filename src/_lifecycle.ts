// Lifecycle helpers of the engine: deadlines on the injected clock, waiting
// for an abort, and the OS signals that trigger a graceful shutdown.
import type { Clock } from "./clock.ts";
import type { MediaSource } from "./contracts.ts";
import type { StreamHandle } from "./stream_handle.ts";

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

/** The signals `serveUntilSignal` turns into a graceful shutdown. */
export function shutdownSignals(): Deno.Signal[] {
  return Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
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
