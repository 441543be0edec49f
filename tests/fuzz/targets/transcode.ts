// Transcode parsers: ffmpeg's stderr (progress blocks mixed with error
// lines, split at random points), the ABR ladder syntax, and a rendition's
// FLV output read into slab pages (FlvTagSlab: reads of random sizes into
// the view it hands out). Only StreamError may escape; the progress parser
// never throws and keeps its bounded memory (8 error lines, a 4 KiB partial
// line); the tag slab never hands out an empty read view.
import { FlvMuxer } from "../../../media/flv/mod.ts";
import { FfmpegProgressParser, parseLadder } from "../../../transcode/mod.ts";
import { FlvTagSlab } from "../../../transcode/_flv_tag_slab.ts";
import {
  audioConfig,
  audioFrame,
  videoConfig,
  videoFrame,
} from "../../_fakes.ts";
import { concatBytes } from "../_harness.ts";
import type { FuzzTargetDef } from "./_target.ts";
import { simple } from "./_target.ts";

const PROGRESS = new TextEncoder().encode(
  "frame=250\nfps=25.0\nstream_0_0_q=22.0\nbitrate=1200.5kbits/s\ntotal_size=1500000\n" +
    "out_time_us=10000000\nout_time=00:00:10.000000\nspeed=1.01x\nprogress=continue\n" +
    "[h264 @ 0x1] decode_slice_header error\nprogress=end\n",
);

/** A small rendition output: FLV header, configs, a few frames of each kind. */
function flvSeed(): Uint8Array {
  const muxer = new FlvMuxer();
  muxer.configure(videoConfig(0));
  muxer.configure(audioConfig(0));
  const frames = [];
  for (let i = 0; i < 6; i++) {
    frames.push(videoFrame(i * 40, i === 0, { size: 40 + i * 30 }));
    frames.push(audioFrame(i * 40 + 1, 12));
  }
  return concatBytes([muxer.initSegment(), muxer.mux(frames)]);
}

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
    simple("transcode.FlvTagSlab", [flvSeed()], (input, random) => {
      // Small pages, so tags cross pages and big ones get their own.
      const slab = new FlvTagSlab(256 + Math.floor(random() * 4096));
      for (let at = 0; at < input.length;) {
        const space = slab.space();
        if (space.length === 0) throw new Error("an empty read view");
        const n = Math.min(
          space.length,
          1 + Math.floor(random() * 700),
          input.length - at,
        );
        space.set(input.subarray(at, at + n));
        at += n;
        slab.commit(n);
      }
    }),
  ];
}
