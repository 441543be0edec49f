/**
 * fMP4 / CMAF: {@linkcode Fmp4Muxer} writes an initialization segment and
 * media fragments from MediaFrames; {@linkcode readBoxes} walks ISOBMFF boxes.
 *
 * Data path: config frames → `configure()` → `initSegment()` (ftyp+moov,
 * cached); media frames → `mux(frames)` → one moof+mdat, sized first and
 * written into a single allocation with each payload copied once. The muxer
 * keeps no frames between calls, so memory is bounded by one fragment.
 * `initSegment()` followed by every `mux()` result is a playable .mp4.
 *
 * ```
 * init segment                      ISO/IEC 14496-12 section
 * ftyp  iso6, cmfc, mp41            §4.3, ISO/IEC 23000-19 §7.2
 * moov                              §8.2.1
 *   mvhd                            §8.2.2
 *   trak (one per track)            §8.3.1
 *     tkhd                          §8.3.2
 *     mdia
 *       mdhd  timescale             §8.4.2 (video 90000, audio sample rate)
 *       hdlr  vide | soun           §8.4.3
 *       minf
 *         vmhd | smhd               §8.4.5
 *         dinf/dref/url             §8.7.1
 *         stbl
 *           stsd                    §8.5.2
 *             avc1/avcC             ISO/IEC 14496-15 §5.4, §5.3.3.1
 *             hvc1/hvcC             ISO/IEC 14496-15 §8.4, §8.3.3.1
 *             av01/av1C             AV1-ISOBMFF §2.2, §2.3
 *             vp09/vpcC             VP-ISOBMFF §2.1, §2.2
 *             mp4a/esds             ISO/IEC 14496-14 §5.6
 *             Opus/dOps             Opus-in-ISOBMFF §4.3
 *           stts stsc stsz stco     empty (§8.6.1.2, §8.7.4, §8.7.3, §8.7.5)
 *   mvex                            §8.8.1
 *     trex (one per track)          §8.8.3
 *
 * media fragment
 * moof                              §8.8.4
 *   mfhd  sequence_number           §8.8.5
 *   traf (one per track present)    §8.8.6
 *     tfhd  default-base-is-moof    §8.8.7
 *     tfdt  v1 baseMediaDecodeTime  §8.8.12
 *     trun  v1 data_offset, per sample duration, size
 *           (+ video: flags, signed composition offset)   §8.8.8
 * mdat  track 1 samples, track 2 samples, …                 §8.1.1
 * ```
 *
 * @example Init segment and one fragment
 * ```ts
 * import { Fmp4Muxer, readBoxes } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 *
 * const muxer = new Fmp4Muxer();
 * const common = { kind: "audio", codec: "aac", trackId: 0, timescale: 1000, keyframe: true } as const;
 * muxer.configure({ ...common, pts: 0, dts: 0, config: true, data: new Uint8Array([0x12, 0x10]) });
 * const init = muxer.initSegment()!;
 * const fragment = muxer.mux([
 *   { ...common, pts: 0, dts: 0, config: false, data: new Uint8Array(6) },
 *   { ...common, pts: 23, dts: 23, config: false, data: new Uint8Array(6) },
 * ]);
 * assert.equal(readBoxes(init)[0]?.type, "ftyp");
 * assert.equal(readBoxes(fragment)[1]?.size, 8 + 12);
 * ```
 *
 * @module
 */
export * from "./fmp4_muxer.ts";
export * from "./fmp4_track.ts";
export * from "./read_boxes.ts";
// The contract types in this module's signatures, so its docs are complete on their own.
export * from "../frame.ts";
export * from "../muxer.ts";
