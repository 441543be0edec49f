/**
 * The benchmark's source: a 20 s 1280x720p30 H.264 + AAC FLV file encoded once
 * with ffmpeg (testsrc2 + sine), published in a loop with `-c copy` so the
 * publisher costs almost nothing.
 *
 * Specification: Adobe Flash Video File Format Specification v10.1, Annex E.2
 * (FLV header) and E.3 (tag sequence), used to count messages and duration.
 *
 * @module
 */

/** What the source file carries, used to turn CPU into µs per message. */
export interface SourceStats {
  path: string;
  bytes: number;
  durationS: number;
  videoTags: number;
  audioTags: number;
  /** Audio + video messages per second of media time. */
  messagesPerSecond: number;
  /** File bits per second of media time. */
  bitsPerSecond: number;
}

/** ffmpeg arguments that make the source (brief: veryfast, 3000k/3200k/3200k, GOP 60). */
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
  "3000k",
  "-maxrate",
  "3200k",
  "-bufsize",
  "3200k",
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
 * Encodes the source once (skips when the file already exists).
 *
 * @param path Where the FLV file goes.
 */
export async function ensureSource(path: string): Promise<void> {
  try {
    if (Deno.statSync(path).size > 0) return;
  } catch { /* not there yet */ }
  const tmp = `${path}.tmp.flv`;
  const out = await new Deno.Command("ffmpeg", {
    args: [...ENCODE_ARGS, tmp],
    stdin: "null",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot encode source: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  Deno.renameSync(tmp, path);
}

/**
 * Walks the FLV tags of the source to count messages and media duration.
 *
 * @param path The FLV file.
 * @returns The counts.
 */
export function sourceStats(path: string): SourceStats {
  const bytes = Deno.readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = view.getUint32(5) + 4;
  let videoTags = 0;
  let audioTags = 0;
  let first = -1;
  let last = 0;
  while (pos + 11 <= bytes.length) {
    const type = bytes[pos]! & 0x1f;
    const size = view.getUint32(pos) & 0xffffff;
    const ts = ((bytes[pos + 7]! << 24) | (view.getUint32(pos + 4) >>> 8)) >>>
      0;
    if (type === 8 || type === 9) {
      if (type === 8) audioTags++;
      else videoTags++;
      if (first < 0) first = ts;
      last = Math.max(last, ts);
    }
    pos += 11 + size + 4;
  }
  // The last frame lasts about one frame interval; add the mean interval.
  const durationS = (last - first) / 1000 + 1 / 30;
  return {
    path,
    bytes: bytes.length,
    durationS,
    videoTags,
    audioTags,
    messagesPerSecond: (videoTags + audioTags) / durationS,
    bitsPerSecond: (bytes.length * 8) / durationS,
  };
}
