// Transcode parsers: ffmpeg's stderr (progress blocks mixed with error
// lines, split at random points) and the ABR ladder syntax. Only
// StreamError may escape; the progress parser never throws and keeps its
// bounded memory (8 error lines, a 4 KiB partial line).
import { FfmpegProgressParser, parseLadder } from "../../../transcode/mod.ts";
import type { FuzzTargetDef } from "./_target.ts";
import { simple } from "./_target.ts";

const PROGRESS = new TextEncoder().encode(
  "frame=250\nfps=25.0\nstream_0_0_q=22.0\nbitrate=1200.5kbits/s\ntotal_size=1500000\n" +
    "out_time_us=10000000\nout_time=00:00:10.000000\nspeed=1.01x\nprogress=continue\n" +
    "[h264 @ 0x1] decode_slice_header error\nprogress=end\n",
);

/** The transcode targets. */
export function transcodeTargets(): FuzzTargetDef[] {
  return [
    simple("transcode.FfmpegProgressParser", [PROGRESS], (input, random) => {
      const parser = new FfmpegProgressParser();
      let pos = 0;
      while (pos < input.length) {
        const n = 1 + Math.floor(random() * 64);
        parser.push(input.subarray(pos, pos + n));
        pos += n;
      }
      if (parser.errors.length > 8) throw new Error("unbounded error lines");
    }),
    simple(
      "transcode.parseLadder",
      [new TextEncoder().encode("720p,480p@800k,360p@1.2M,240p")],
      (input) => parseLadder(new TextDecoder().decode(input)),
    ),
  ];
}
