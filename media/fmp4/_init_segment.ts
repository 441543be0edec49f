/**
 * Internal: the fMP4 initialization segment (ftyp + moov) for a set of
 * tracks, measured first and then written into one exact-size buffer.
 *
 * Specification: ISO/IEC 14496-12 §4.3 (ftyp), §8.2.2 (mvhd), §8.3.2 (tkhd),
 * §8.4.2 (mdhd), §8.4.3 (hdlr), §8.4.5 (vmhd/smhd), §8.7.2 (dref), §8.5.2
 * (stsd), §8.6.1.2 (stts), §8.7.4 (stsc), §8.7.3 (stsz), §8.7.5 (stco),
 * §8.8.1 (mvex), §8.8.3 (trex); ISO/IEC 23000-19 §7.2 (CMAF brand `cmfc`).
 *
 * @module
 */
import { BoxWriter, fourcc } from "./_box_writer.ts";
import { writeSampleEntry } from "./_sample_entry.ts";
import type { Fmp4Track } from "./fmp4_track.ts";

const MOOV = fourcc("moov");
const MVHD = fourcc("mvhd");
const TRAK = fourcc("trak");
const TKHD = fourcc("tkhd");
const MDIA = fourcc("mdia");
const MDHD = fourcc("mdhd");
const HDLR = fourcc("hdlr");
const MINF = fourcc("minf");
const STBL = fourcc("stbl");
const STSD = fourcc("stsd");
const MVEX = fourcc("mvex");
const TREX = fourcc("trex");
const VIDE = fourcc("vide");
const SOUN = fourcc("soun");

/** `mvhd` timescale: milliseconds; durations stay 0 (the fragments carry time). */
const MOVIE_TIMESCALE = 1000;
/** tkhd flags: track_enabled | track_in_movie (14496-12 §8.3.2.3). */
const TKHD_ENABLED_IN_MOVIE = 0x000003;
/** ISO 639-2 "und" packed as three 5-bit letters (14496-12 §8.4.2.3). */
const LANGUAGE_UND = 0x55c4;

/** Build a box from 32-bit words (type first), for the fixed boxes below. */
function fixedBox(words: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(4 + words.length * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, bytes.length);
  words.forEach((word, i) => view.setUint32(4 + i * 4, word >>> 0));
  return bytes;
}

/** ftyp: major brand iso6, minor 0, compatible iso6 cmfc mp41. Never mutated. */
const FTYP: Uint8Array = fixedBox([
  fourcc("ftyp"),
  fourcc("iso6"),
  0,
  fourcc("iso6"),
  fourcc("cmfc"),
  fourcc("mp41"),
]);
/** Unity transformation matrix (14496-12 §8.2.2.3). */
const MATRIX: readonly number[] = [
  0x10000,
  0,
  0,
  0,
  0x10000,
  0,
  0,
  0,
  0x40000000,
];
/** vmhd: FullBox flags 1, graphicsmode 0, opcolor 0. */
const VMHD: Uint8Array = fixedBox([fourcc("vmhd"), 1, 0, 0]);
/** smhd: FullBox, balance 0. */
const SMHD: Uint8Array = fixedBox([fourcc("smhd"), 0, 0]);
/** dinf/dref with one self-contained `url ` entry (flags 1). */
const DINF: Uint8Array = fixedBox([
  fourcc("dinf"),
  28,
  fourcc("dref"),
  0,
  1,
  12,
  fourcc("url "),
  1,
]);
/** The empty sample tables of a fragmented file: stts, stsc, stsz, stco. */
const EMPTY_TABLES: Uint8Array = new Uint8Array([
  ...fixedBox([fourcc("stts"), 0, 0]),
  ...fixedBox([fourcc("stsc"), 0, 0]),
  ...fixedBox([fourcc("stsz"), 0, 0, 0]),
  ...fixedBox([fourcc("stco"), 0, 0]),
]);
const VIDEO_HANDLER_NAME = new TextEncoder().encode("VideoHandler\0");
const SOUND_HANDLER_NAME = new TextEncoder().encode("SoundHandler\0");

/** ftyp + moov for `tracks` (in `track_ID` order), allocated once. */
export function buildInitSegment(tracks: readonly Fmp4Track[]): Uint8Array {
  const measure = new BoxWriter();
  writeInit(measure, tracks);
  const bytes = new Uint8Array(measure.position);
  writeInit(new BoxWriter(bytes), tracks);
  return bytes;
}

function writeInit(w: BoxWriter, tracks: readonly Fmp4Track[]): void {
  w.raw(FTYP);
  const moov = w.box(MOOV);
  writeMvhd(w, tracks);
  for (const track of tracks) writeTrak(w, track);
  const mvex = w.box(MVEX);
  for (const track of tracks) {
    const trex = w.fullBox(TREX, 0, 0);
    w.u32(track.id);
    w.u32(1); // default_sample_description_index
    w.u32(0); // default_sample_duration
    w.u32(0); // default_sample_size
    w.u32(0); // default_sample_flags
    w.end(trex);
  }
  w.end(mvex);
  w.end(moov);
}

function writeMvhd(w: BoxWriter, tracks: readonly Fmp4Track[]): void {
  const mvhd = w.fullBox(MVHD, 0, 0);
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(MOVIE_TIMESCALE);
  w.u32(0); // duration
  w.u32(0x0001_0000); // rate 1.0
  w.u16(0x0100); // volume 1.0
  w.zeros(10); // reserved
  for (const word of MATRIX) w.u32(word);
  w.zeros(24); // pre_defined
  let next = 1;
  for (const track of tracks) next = Math.max(next, track.id + 1);
  w.u32(next); // next_track_ID
  w.end(mvhd);
}

function writeTrak(w: BoxWriter, track: Fmp4Track): void {
  const video = track.kind === "video";
  const trak = w.box(TRAK);
  const tkhd = w.fullBox(TKHD, 0, TKHD_ENABLED_IN_MOVIE);
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(track.id);
  w.u32(0); // reserved
  w.u32(0); // duration
  w.zeros(8); // reserved
  w.u16(0); // layer
  w.u16(0); // alternate_group
  w.u16(video ? 0 : 0x0100); // volume
  w.u16(0); // reserved
  for (const word of MATRIX) w.u32(word);
  w.u32(track.width * 0x1_0000); // width 16.16
  w.u32(track.height * 0x1_0000); // height 16.16
  w.end(tkhd);

  const mdia = w.box(MDIA);
  const mdhd = w.fullBox(MDHD, 0, 0);
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(track.timescale);
  w.u32(0); // duration
  w.u16(LANGUAGE_UND);
  w.u16(0); // pre_defined
  w.end(mdhd);
  const hdlr = w.fullBox(HDLR, 0, 0);
  w.u32(0); // pre_defined
  w.u32(video ? VIDE : SOUN);
  w.zeros(12); // reserved
  w.raw(video ? VIDEO_HANDLER_NAME : SOUND_HANDLER_NAME);
  w.end(hdlr);
  const minf = w.box(MINF);
  w.raw(video ? VMHD : SMHD);
  w.raw(DINF);
  const stbl = w.box(STBL);
  const stsd = w.fullBox(STSD, 0, 0);
  w.u32(1); // entry_count
  writeSampleEntry(w, track);
  w.end(stsd);
  w.raw(EMPTY_TABLES);
  w.end(stbl);
  w.end(minf);
  w.end(mdia);
  w.end(trak);
}
