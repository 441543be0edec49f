// Test fixtures: real decoder configuration records taken from ffmpeg 5.1
// encodes of testsrc2 at 320x240 (libx264 high, libx265, libaom-av1,
// libvpx-vp9), so the codec module parses them like live input.

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (byte) => parseInt(byte, 16));
}

/** avcC, H.264 High level 1.3, 320x240 (codec string avc1.64000d). */
export const AVCC_320X240: Uint8Array = hex(
  "0164000dffe100196764000dacd94141fb0110000003001000000303c0f142996001000668ebe3cb22c0fdf8f800",
);

/** hvcC, H.265 Main, 320x240, VPS/SPS/PPS arrays. */
export const HVCC_320X240: Uint8Array = hex(
  "0101600000009000000000003cf000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003003c959809a10001002a42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003c10a2000100074401c172b46240",
);

/** av1C with its sequence header OBU, Main profile, 320x240. */
export const AV1C_320X240: Uint8Array = hex(
  "81000c000a0b000000043cffbcdaf90040",
);

/** vpcC payload (version 1 FullBox header included), profile 0, level 2.0, 8-bit. */
export const VPCC: Uint8Array = hex("010000000014820202020000");

/** AudioSpecificConfig: AAC-LC, 48 kHz, stereo. */
export const ASC_48K_STEREO: Uint8Array = new Uint8Array([0x11, 0x90]);
