// Build the muxer named by HlsSegmenterOptions.format.
import { Fmp4Muxer } from "../fmp4/mod.ts";
import type { Muxer } from "../muxer.ts";
import { StreamError } from "../stream_error.ts";

/** A fresh muxer for `format`. */
export function createMuxer(format: "ts" | "fmp4"): Muxer {
  if (format === "fmp4") return new Fmp4Muxer();
  throw new StreamError(
    "Unsupported",
    `Cannot create a ${format} muxer: pass options.muxer (MpegTsMuxer is not wired yet)`,
  );
}
