// How many frames an H.264 stream reorders (for the DTS derived from RTP's
// PTS): read from the SPS (ITU-T H.264 §7.3.2.1.1, Annex E.1.1):
// pic_order_cnt_type 2 or the Baseline profile → 0 (output order = decode
// order); else the VUI bitstream_restriction max_num_reorder_frames when
// present; else `fallback`.
import { BitReader, removeEmulationPrevention } from "../codec/bit_reader.ts";

const HIGH_PROFILES: ReadonlySet<number> = new Set([
  100,
  110,
  122,
  244,
  44,
  83,
  86,
  118,
  128,
  138,
  139,
  134,
  135,
]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      next = (last + r.readSe() + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

function skipHrd(r: BitReader): void {
  const count = r.readUe() + 1;
  if (count > 32) throw new RangeError("cpb_cnt");
  r.skip(8);
  for (let i = 0; i < count; i++) {
    r.readUe();
    r.readUe();
    r.skip(1);
  }
  r.skip(20);
}

/** max_num_reorder_frames implied by an SPS NAL unit; `fallback` when unknown. */
export function h264ReorderDepth(sps: Uint8Array, fallback: number): number {
  try {
    const r = new BitReader(removeEmulationPrevention(sps.subarray(1), 4096));
    const profile = r.readBits(8);
    if (profile === 66) return 0;
    r.skip(16);
    r.readUe();
    if (HIGH_PROFILES.has(profile)) {
      const chroma = r.readUe();
      if (chroma === 3) r.skip(1);
      r.readUe();
      r.readUe();
      r.skip(1);
      if (r.readFlag()) {
        for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) {
          if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
        }
      }
    }
    r.readUe(); // log2_max_frame_num_minus4
    const pocType = r.readUe();
    if (pocType === 2) return 0;
    if (pocType === 0) r.readUe();
    else if (pocType === 1) {
      r.skip(1);
      r.readSe();
      r.readSe();
      const cycle = r.readUe();
      if (cycle > 255) return fallback;
      for (let i = 0; i < cycle; i++) r.readSe();
    }
    r.readUe(); // max_num_ref_frames
    r.skip(1);
    r.readUe();
    r.readUe();
    if (!r.readFlag()) r.skip(1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
    r.skip(1);
    if (r.readFlag()) { for (let i = 0; i < 4; i++) r.readUe(); }
    if (!r.readFlag()) return fallback; // no VUI
    if (r.readFlag() && r.readBits(8) === 255) r.skip(32);
    if (r.readFlag()) r.skip(1);
    if (r.readFlag()) {
      r.skip(4);
      if (r.readFlag()) r.skip(24);
    }
    if (r.readFlag()) {
      r.readUe();
      r.readUe();
    }
    if (r.readFlag()) r.skip(65);
    const nal = r.readFlag();
    if (nal) skipHrd(r);
    const vcl = r.readFlag();
    if (vcl) skipHrd(r);
    if (nal || vcl) r.skip(1);
    r.skip(1); // pic_struct_present_flag
    if (!r.readFlag()) return fallback;
    r.skip(1);
    for (let i = 0; i < 4; i++) r.readUe();
    const reorder = r.readUe();
    return reorder <= 16 ? reorder : fallback;
  } catch {
    return fallback;
  }
}
