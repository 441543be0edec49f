// CODECS / RESOLUTION of a rendition from its config frames, read through the
// fMP4 sample-entry builder (it parses avcC/hvcC/av1C/vpcC/ASC/OpusHead into
// RFC 6381 codec strings and coded sizes).
import type { MediaFrame } from "../frame.ts";
import { Fmp4Muxer } from "../fmp4/mod.ts";

/** What the master playlist says about a rendition. */
export interface VariantInfo {
  codecs: string[];
  width?: number | undefined;
  height?: number | undefined;
}

/** RFC 6381 strings for codecs the fMP4 builder does not take. */
const FALLBACK_CODECS: Partial<Record<MediaFrame["codec"], string>> = {
  mp3: "mp4a.40.34",
};

/** Describe the rendition made of `configs` (one config frame per track). */
export function variantOf(configs: readonly MediaFrame[]): VariantInfo {
  const codecs: string[] = [];
  let width: number | undefined;
  let height: number | undefined;
  for (const config of configs) {
    const scratch = new Fmp4Muxer();
    try {
      scratch.configure(config);
    } catch {
      // Not describable (malformed or unsupported record): leave it out of CODECS.
      const fallback = FALLBACK_CODECS[config.codec];
      if (fallback) codecs.push(fallback);
      continue;
    }
    for (const track of scratch.tracks) {
      codecs.push(track.codecString);
      if (track.kind === "video" && track.width > 0) {
        width = track.width;
        height = track.height;
      }
    }
  }
  // Video first, as players expect (and as the fMP4 track order is).
  codecs.sort((a, b) => Number(isAudio(a)) - Number(isAudio(b)));
  return { codecs, width, height };
}

function isAudio(codec: string): boolean {
  return codec.startsWith("mp4a") || codec === "opus";
}
