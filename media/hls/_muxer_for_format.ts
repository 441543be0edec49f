// Build the muxer named by HlsSegmenterOptions.format.
import { Fmp4Muxer } from "../fmp4/mod.ts";
import { MpegTsMuxer } from "../mpegts/mod.ts";
import type { Muxer } from "../muxer.ts";

/** A fresh muxer for `format`. */
export function createMuxer(format: "ts" | "fmp4"): Muxer {
  return format === "fmp4" ? new Fmp4Muxer() : new MpegTsMuxer();
}
