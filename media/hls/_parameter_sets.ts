// In-band parameter sets for MPEG-TS LL-HLS parts. The TS muxer writes
// SPS/PPS (VPS for H.265) before each IDR only, so a part that starts on a
// non-key frame carries none; players that transmux every part on its own
// (Shaka Player) then cannot configure their decoder from it. A part whose
// first video frame is not a keyframe gets that frame with the parameter
// sets of the current configuration prepended (legal before the first
// slice of an access unit: ISO/IEC 14496-10 §7.4.1.2.3, H.265 §7.4.2.4.4).
// Cost: one copy of one frame per such part (about three a second); the
// prefix is built once per configuration. Memory: that prefix.
import type { MediaFrame } from "../frame.ts";
import { parseAvcDecoderConfig } from "../codec/avc_decoder_config.ts";
import { parseHevcDecoderConfig } from "../codec/hevc_decoder_config.ts";

/** Prepends the current configuration's parameter sets to a frame. */
export class ParameterSetPrefixer {
  #config: MediaFrame | undefined;
  #prefix: Uint8Array | null = null;

  /**
   * `frame` with the parameter sets of `config` in front (same NAL length
   * size), or `frame` itself when the codec has none or `config` does not
   * parse.
   */
  prefix(frame: MediaFrame, config: MediaFrame | undefined): MediaFrame {
    if (config === undefined) return frame;
    if (config !== this.#config) {
      this.#config = config;
      this.#prefix = buildPrefix(config);
    }
    const prefix = this.#prefix;
    if (prefix === null) return frame;
    const data = new Uint8Array(prefix.length + frame.data.length);
    data.set(prefix);
    data.set(frame.data, prefix.length);
    return { ...frame, data };
  }
}

function buildPrefix(config: MediaFrame): Uint8Array | null {
  let nalus: Uint8Array[];
  let lengthSize: number;
  try {
    if (config.codec === "h264") {
      const avcC = parseAvcDecoderConfig(config.data);
      nalus = [...avcC.sps, ...avcC.spsExt, ...avcC.pps];
      lengthSize = avcC.lengthSize;
    } else if (config.codec === "h265") {
      const hvcC = parseHevcDecoderConfig(config.data);
      // VPS (32), SPS (33), PPS (34) in that order.
      nalus = hvcC.arrays
        .filter((a) => a.nalType >= 32 && a.nalType <= 34)
        .sort((a, b) => a.nalType - b.nalType)
        .flatMap((a) => a.nalus);
      lengthSize = hvcC.lengthSize;
    } else {
      return null;
    }
  } catch {
    return null; // the muxer reports a bad configuration itself
  }
  if (nalus.length === 0) return null;
  let size = 0;
  for (const nalu of nalus) size += lengthSize + nalu.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const nalu of nalus) {
    for (let i = lengthSize - 1; i >= 0; i--) {
      out[offset + i] = (nalu.length >>> (8 * (lengthSize - 1 - i))) & 0xff;
    }
    offset += lengthSize;
    out.set(nalu, offset);
    offset += nalu.length;
  }
  return out;
}
