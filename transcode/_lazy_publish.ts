// Publishing lazy renditions as derived streams: a ladder's renditions (one
// ffmpeg for all: `publishLadder`) or one rendition's own ffmpeg
// (`publishJob`, when no socket can carry a ladder's outputs). A restart
// ends each derived stream; it is published again with its next frame, so
// HLS continues it after an EXT-X-DISCONTINUITY. Frames are handed on as
// read (one batch per read of ffmpeg's output), nothing is queued here.
import type { StreamHandle, StreamHost } from "../src/mod.ts";
import type { TranscodeEvent } from "./transcode_types.ts";
import type { LadderJob } from "./_ladder_job.ts";
import { RESTART, type TranscodeJob } from "./_transcode_job.ts";

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Publish a lazy ladder's renditions until it ends; then `forget` it. */
export async function publishLadder(
  host: StreamHost,
  job: LadderJob,
  emit: (event: TranscodeEvent) => void,
  forget: () => void,
): Promise<void> {
  const keys = job.renditions.map((r) => r.spec.key);
  const outs: (StreamHandle | undefined)[] = keys.map(() => undefined);
  const end = (i: number, reason: string) => {
    const out = outs[i];
    if (out && !out.ended) out.end(reason);
    outs[i] = undefined;
  };
  let failure: string | undefined;
  try {
    await job.run({
      frames: (i, batch) => {
        if (failure !== undefined) return;
        try {
          let out = outs[i];
          if (out === undefined || out.ended) {
            out = outs[i] = host.startPublish(keys[i]!);
          }
          for (const frame of batch) out.publishFrame(frame);
        } catch (error) {
          failure = message(error);
          job.stop();
        }
      },
      restart: () => keys.forEach((_, i) => end(i, "transcoder restarting")),
    });
  } catch (error) {
    failure ??= message(error);
  } finally {
    keys.forEach((_, i) => end(i, "transcoder ended"));
    job.stop();
    forget();
  }
  if (failure !== undefined) {
    for (const key of keys) emit({ type: "stopped", key, reason: failure });
  }
}

/** Publish one lazy job's output until it ends; then `forget` it. */
export async function publishJob(
  host: StreamHost,
  job: TranscodeJob,
  emit: (event: TranscodeEvent) => void,
  forget: () => void,
): Promise<void> {
  let out: StreamHandle | undefined;
  const end = (reason: string) => {
    if (out && !out.ended) out.end(reason);
    out = undefined;
  };
  try {
    for await (const item of job.batches()) {
      if (item === RESTART) {
        end("transcoder restarting");
        continue;
      }
      if (out === undefined || out.ended) {
        out = host.startPublish(job.spec.key);
      }
      for (const frame of item) out.publishFrame(frame);
    }
  } catch (error) {
    emit({ type: "stopped", key: job.spec.key, reason: message(error) });
  } finally {
    end("transcoder ended");
    job.stop();
    forget();
  }
}
