/**
 * The many-streams benchmark's clip: encoded once with ffmpeg (testsrc2 +
 * sine, 1280×720 at 30 fps, H.264 1.85 Mbit/s + AAC 128 kbit/s ≈ 2 Mbit/s,
 * one keyframe every 2 s, 20 s) into `bench/.scratch/streams_source.flv`,
 * then replayed by `load.ts` to every publisher connection (ffmpeg cannot run
 * 200 encoders on this machine).
 *
 * @module
 */

/** Where the clip goes. */
export const STREAMS_SOURCE = new URL(
  "../.scratch/streams_source.flv",
  import.meta.url,
).pathname;

const ENCODE_ARGS: readonly string[] = [
  "-hide_banner",
  "-loglevel",
  "error",
  "-nostdin",
  "-y",
  "-f",
  "lavfi",
  "-i",
  "testsrc2=size=1280x720:rate=30",
  "-f",
  "lavfi",
  "-i",
  "sine=frequency=440:sample_rate=48000",
  "-t",
  "20",
  "-c:v",
  "libx264",
  "-preset",
  "veryfast",
  "-b:v",
  "1850k",
  "-maxrate",
  "1950k",
  "-bufsize",
  "1950k",
  "-g",
  "60",
  "-keyint_min",
  "60",
  "-sc_threshold",
  "0",
  "-pix_fmt",
  "yuv420p",
  "-c:a",
  "aac",
  "-b:a",
  "128k",
  "-ac",
  "2",
  "-f",
  "flv",
];

/**
 * Encodes the clip once (skips when it exists).
 *
 * @param path Output path.
 */
export async function ensureStreamsSource(
  path: string = STREAMS_SOURCE,
): Promise<void> {
  try {
    if (Deno.statSync(path).size > 0) return;
  } catch { /* not there yet */ }
  Deno.mkdirSync(new URL(".", `file://${path}`).pathname, { recursive: true });
  const tmp = `${path}.tmp.flv`;
  const out = await new Deno.Command("ffmpeg", {
    args: [...ENCODE_ARGS, tmp],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot encode the streams clip: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  Deno.renameSync(tmp, path);
}
