// Test fixture: the sample clip (10 s, H.264 + AAC, a keyframe every second)
// recorded by RecordingSink as a fragmented MP4 into a storage backend.
import { readFlvFile } from "../../../media/flv/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { RecordingSink } from "../../../media/recording/mod.ts";
import type { StorageBackend } from "../../../media/storage/mod.ts";

const CLIP = new URL("../../../examples/assets/sample.flv", import.meta.url);

/** The clip's frames (decode order). */
export function clipFrames(): MediaFrame[] {
  return readFlvFile(Deno.readFileSync(CLIP)).frames.filter((f) =>
    f.kind !== "data"
  );
}

/** Record the clip (or only its audio) under `key`, 2 s fragments. */
export async function recordClip(
  storage: StorageBackend,
  key: string,
  options: {
    audioOnly?: boolean;
    frames?: MediaFrame[];
    format?: "mp4" | "flv";
  } = {},
): Promise<void> {
  const sink = new RecordingSink({
    storage,
    key,
    format: options.format ?? "mp4",
  });
  for (const frame of options.frames ?? clipFrames()) {
    if (options.audioOnly && frame.kind === "video") continue;
    await sink.push(frame);
  }
  await sink.end();
}

/** `live/cam-<stamp>.mp4` for a UTC time such as `08:30:00`. */
export function keyAt(time: string): string {
  return `live/cam-2026-12-06T${time.replaceAll(":", "-")}-000Z.mp4`;
}

/** Ms since the epoch of `2026-12-06T<time>Z`. */
export function at(time: string): number {
  return Date.parse(`2026-12-06T${time}Z`);
}
