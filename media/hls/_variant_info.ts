// CODECS / RESOLUTION / FRAME-RATE of a rendition from its config frames.
import type { MediaFrame } from "../frame.ts";

/** What the master playlist says about a rendition. */
export interface VariantInfo {
  codecs: string[];
  width?: number | undefined;
  height?: number | undefined;
  frameRate?: number | undefined;
}

/** Describe the rendition made of `configs` (one config frame per track). */
export function variantOf(_configs: readonly MediaFrame[]): VariantInfo {
  return { codecs: [] };
}
