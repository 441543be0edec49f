// MPEG-TS demuxer targets: real TS files (ffmpeg: H.264 + AAC with B-frames,
// H.265 + Opus, MP3 audio only) and our muxer's output, mutated and pushed in
// random pieces. Besides "only StreamError", each run checks the demuxer's
// output invariants (a non-StreamError fails the run): no media frame before
// its track's config, 90 kHz integer timestamps, AVCC lengths that tile each
// video frame, and the PES bound.
import type { MediaFrame } from "../../../media/frame.ts";
import { readFlvFile } from "../../../media/flv/mod.ts";
import { MpegTsDemuxer, MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import { feedInPieces, type Random } from "../_harness.ts";
import { type FuzzTargetDef, readTestFile, simple } from "./_target.ts";

function checkFrames(frames: readonly MediaFrame[], configured: Set<string>) {
  for (const f of frames) {
    const key = `${f.kind}:${f.trackId}`;
    if (f.config) {
      configured.add(key);
      continue;
    }
    if (f.codec !== "mp3" && !configured.has(key)) {
      throw new Error(`media frame of ${key} before its config`);
    }
    if (f.timescale !== 90000 || !Number.isInteger(f.pts + f.dts)) {
      throw new Error(`bad timestamps ${f.pts}/${f.dts}@${f.timescale}`);
    }
    if (f.codec === "h264" || f.codec === "h265") {
      let p = 0;
      while (p + 4 <= f.data.length) {
        p += 4 + new DataView(f.data.buffer, f.data.byteOffset + p, 4)
          .getUint32(0);
      }
      if (p !== f.data.length) throw new Error("AVCC lengths do not tile");
    }
  }
}

function demux(input: Uint8Array, random: Random): void {
  const maxPesBytes = random() < 0.2
    ? 1 + Math.floor(random() * 4096)
    : undefined;
  const demuxer = new MpegTsDemuxer({
    ...(maxPesBytes === undefined ? {} : { maxPesBytes }),
    ...(random() < 0.3 ? { programNumber: Math.floor(random() * 3) } : {}),
  });
  const configured = new Set<string>();
  const chunk = random() < 0.5 ? 188 * 7 : 1 + Math.floor(random() * 600);
  feedInPieces(input, random, chunk, (piece) => {
    checkFrames(demuxer.push(piece), configured);
  });
  checkFrames(demuxer.flush(), configured);
  const stats = demuxer.stats;
  if (stats.packets > input.length / 188 + 1) {
    throw new Error(
      `counted ${stats.packets} packets in ${input.length} bytes`,
    );
  }
}

/** TS made by our muxer from a real FLV capture (H.264 + AAC). */
function ownMuxerSeed(): Uint8Array {
  const frames = readFlvFile(readTestFile("fuzz/corpus/small.flv")).frames
    .filter((f) => f.kind !== "data").slice(0, 40);
  return new MpegTsMuxer().mux(frames);
}

/** The demuxer over mutated real transport streams. */
export function mpegtsTargets(): FuzzTargetDef[] {
  const seeds = [
    readTestFile("fuzz/corpus/small_h264_aac.mpegts"),
    readTestFile("fuzz/corpus/small_h265_opus.mpegts"),
    readTestFile("fuzz/corpus/small_mp3.mpegts"),
    ownMuxerSeed(),
  ];
  return [simple("mpegts.demux", seeds, demux)];
}
