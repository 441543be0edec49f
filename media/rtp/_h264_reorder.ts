// How many frames an H.264 stream reorders (for the DTS derived from RTP's
// PTS), from the SPS as media/codec parses it (ITU-T H.264 §7.3.2.1.1,
// Annex E.1.1): the Baseline profile or pic_order_cnt_type 2 → 0 (output
// order = decode order); else the VUI bitstream restriction's
// max_num_reorder_frames when present; else `fallback`.
import { parseH264Sps } from "../codec/h264_sps.ts";

/** max_num_reorder_frames implied by an SPS NAL unit; `fallback` when unknown. */
export function h264ReorderDepth(sps: Uint8Array, fallback: number): number {
  try {
    const parsed = parseH264Sps(sps);
    if (parsed.profile === 66 || parsed.picOrderCntType === 2) return 0;
    return parsed.maxNumReorderFrames ?? fallback;
  } catch {
    return fallback;
  }
}
