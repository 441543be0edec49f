// HLS segmenter state machine: a real clip's frames re-timed and reordered
// by the input (forward/backward timestamp jumps, dropped and repeated
// frames, config changes, explicit discontinuities, ts and fMP4, LL-HLS
// parts), written to MemoryStorage. Only StreamError may escape and, after
// end(), the playlist must be a closed playlist.
import { readFlvFile } from "../../../media/flv/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import type { FuzzTargetDef } from "./_target.ts";
import { readTestFile } from "./_target.ts";

/** Bytes per instruction: [op, delta, frame index]. */
const STEP = 3;

/** The HLS segmenter target. */
export function hlsTargets(): FuzzTargetDef[] {
  const clip = readFlvFile(readTestFile("fuzz/corpus/small.flv")).frames;
  const configs = clip.filter((f) => f.config);
  const media = clip.filter((f) => !f.config && f.kind !== "data");
  // Seed: play the clip in order, one instruction per frame.
  const seed = new Uint8Array(media.length * STEP);
  media.forEach((_, i) => seed.set([0, 128 + 8, i & 0xff], i * STEP));
  return [{
    name: "hls.HlsSegmenter",
    seeds: [seed],
    shortCases: 1000,
    prepare: () => ({
      async run(input, random) {
        const segmenter = new HlsSegmenter({
          storage: new MemoryStorage({ maxBytes: 4 << 20 }),
          prefix: "live/cam",
          format: random() < 0.5 ? "ts" : "fmp4",
          targetDurationMs: 500,
          windowSize: 3,
          ...(random() < 0.5 ? { partTargetMs: 200 } : {}),
        });
        for (const c of configs) await segmenter.push(c);
        let dts = 0;
        for (let i = 0; i + STEP <= input.length; i += STEP) {
          const op = input[i]! & 7;
          const delta = input[i + 1]! - 128;
          const frame = media[input[i + 2]! % media.length]!;
          if (op === 5) await segmenter.discontinuity();
          else if (op === 6) {
            await segmenter.push(configs[input[i + 2]! % configs.length]!);
          } else {
            dts += op === 7 ? delta * 100_000 : delta * 5; // op 7: a big jump
            const f: MediaFrame = {
              ...frame,
              dts,
              pts: dts + (frame.pts - frame.dts),
            };
            await segmenter.push(f);
          }
        }
        await segmenter.end();
        const playlist = segmenter.playlist();
        if (
          !playlist.startsWith("#EXTM3U") ||
          !playlist.includes("#EXT-X-ENDLIST")
        ) {
          throw new Error(`ended playlist is not closed:\n${playlist}`);
        }
      },
    }),
  }];
}
