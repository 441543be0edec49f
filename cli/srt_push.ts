/**
 * The CLI's SRT pushes in caller mode (`--push app/name=srt://host:port?…`):
 * while `app/name` is live, its TS (the kernel's shared egress batches,
 * `srtPush`) is sent to the SRT listener; a failed or ended push is retried
 * every second while the stream lives, and starts again when it is
 * published anew. Memory: per push, one SRT connection's bounded buffers.
 *
 * @module
 */
import type { Engine } from "../mod.ts";
import { parseSrtUrl, srtPush } from "../protocols/srt/mod.ts";
import { safeUrl } from "./rtsp_pull.ts";

/** One `--push`. */
export interface PushFlag {
  /** The stream key pushed. */
  key: string;
  /** The SRT listener's URL. */
  url: string;
}

/**
 * Start the pushes; resolves once every push stopped (at `signal`).
 *
 * @param engine the origin's engine
 * @param pushes the `--push` flags
 * @param signal shutdown
 * @param log error lines
 */
export async function startSrtPushes(
  engine: Engine,
  pushes: readonly PushFlag[],
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  if (pushes.length === 0) return;
  const running = new Set<Promise<void>>();
  const active = new Set<string>();
  const start = (push: PushFlag): void => {
    if (active.has(push.key) || signal.aborted) return;
    active.add(push.key);
    const task = run(engine, push, signal, log).finally(() => {
      active.delete(push.key);
      running.delete(task);
    });
    running.add(task);
  };
  const off = engine.events.on("published", (e) => {
    for (const p of pushes) if (p.key === e.key) start(p);
  });
  for (const p of pushes) if (engine.getStream(p.key)) start(p);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
  off();
  await Promise.allSettled([...running]);
}

async function run(
  engine: Engine,
  push: PushFlag,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const options = parseSrtUrl(push.url);
  while (!signal.aborted) {
    const stream = engine.getStream(push.key);
    if (stream === undefined || stream.ended) return;
    try {
      const why = await srtPush(stream, options, signal);
      if (!signal.aborted && !stream.ended) {
        log(`push ${push.key} -> ${safeUrl(push.url)}: ${why}`);
      }
    } catch (error) {
      if (!signal.aborted) {
        log(
          `push ${push.key} -> ${safeUrl(push.url)}: ${
            (error as Error).message
          }`,
        );
      }
    }
    if (signal.aborted || stream.ended) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, 1000);
      function done(): void {
        signal.removeEventListener("abort", done);
        clearTimeout(t);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
