// CODECS / RESOLUTION / FRAME-RATE of a rendition from its config frames,
// through the codec helpers (RFC 6381 codec strings, SPS dimensions).
import { parseCodecConfig } from "../codec/mod.ts";
import type { MediaFrame } from "../frame.ts";

/** What the master playlist says about a rendition. */
export interface VariantInfo {
  codecs: string[];
  width?: number | undefined;
  height?: number | undefined;
  frameRate?: number | undefined;
}

/** Describe the rendition made of `configs` (one config frame per track). */
export function variantOf(configs: readonly MediaFrame[]): VariantInfo {
  const video: string[] = [];
  const audio: string[] = [];
  const info: VariantInfo = { codecs: [] };
  for (const config of configs) {
    let parsed;
    try {
      parsed = parseCodecConfig(config);
    } catch {
      continue; // malformed or unsupported record: leave it out of CODECS
    }
    (config.kind === "video" ? video : audio).push(parsed.codecString);
    if (config.kind === "video" && parsed.width && parsed.height) {
      info.width = parsed.width;
      info.height = parsed.height;
      info.frameRate = parsed.frameRate;
    }
  }
  // Video first, as players and the fMP4 track order expect.
  info.codecs = [...video, ...audio];
  return info;
}
