/**
 * PSI tables: Program Association and Program Map sections, each written into
 * one 188-byte transport packet.
 *
 * Specification: ISO/IEC 13818-1 §2.4.4.3 (program_association_section),
 * §2.4.4.8 (TS_program_map_section), §2.6 (descriptors: registration 0x05,
 * extension 0x7F), §2.4.4.2 (pointer_field).
 *
 * ```
 * TS packet (PID 0 or PMT PID), PUSI=1, payload only:
 *   pointer_field(8)=0
 *   table_id(8) '1' '0' '11' section_length(12)
 *   PAT: transport_stream_id(16) '11' version(5) current_next(1)
 *        section_number(8) last_section_number(8)
 *        { program_number(16) '111' program_map_PID(13) }
 *   PMT: program_number(16) '11' version(5) current_next(1) 0x00 0x00
 *        '111' PCR_PID(13) '1111' program_info_length(12)=0
 *        { stream_type(8) '111' elementary_PID(13) '1111' ES_info_length(12) descriptors }
 *   CRC_32(32)
 *   0xFF stuffing to 188 bytes
 * ```
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";
import { crc32Mpeg2 } from "./_crc32.ts";

/** One elementary stream entry of the PMT. */
export interface PmtStream {
  /** stream_type (Table 2-34): 0x1B H.264, 0x24 H.265, 0x0F AAC ADTS, 0x03 MPEG audio, 0x06 private (Opus). */
  readonly streamType: number;
  /** elementary_PID. */
  readonly pid: number;
  /** Descriptor bytes for the ES_info loop. */
  readonly descriptors: Uint8Array;
}

/** The header every PSI packet starts with: sync, PUSI, PID, payload only, CC. */
function writePsiHeader(
  dst: Uint8Array,
  pos: number,
  pid: number,
  cc: number,
): void {
  dst[pos] = 0x47;
  dst[pos + 1] = 0x40 | (pid >> 8);
  dst[pos + 2] = pid & 0xff;
  dst[pos + 3] = 0x10 | (cc & 0x0f);
  dst[pos + 4] = 0; // pointer_field
}

function finishSection(
  dst: Uint8Array,
  start: number,
  end: number,
  packetStart: number,
): void {
  const crc = crc32Mpeg2(dst, start, end);
  dst[end] = crc >>> 24;
  dst[end + 1] = (crc >>> 16) & 0xff;
  dst[end + 2] = (crc >>> 8) & 0xff;
  dst[end + 3] = crc & 0xff;
  dst.fill(0xff, end + 4, packetStart + 188);
}

/**
 * Write a PAT with one program into the 188 bytes at `pos`.
 *
 * @param dst destination
 * @param pos packet start
 * @param cc continuity counter of PID 0
 * @param pat transport_stream_id, program_number, PMT PID
 */
export function writePat(
  dst: Uint8Array,
  pos: number,
  cc: number,
  pat: { transportStreamId: number; programNumber: number; pmtPid: number },
): void {
  writePsiHeader(dst, pos, 0, cc);
  const s = pos + 5;
  dst[s] = 0x00; // table_id
  dst[s + 1] = 0xb0; // syntax 1, '0', reserved, length high bits
  dst[s + 2] = 13; // 5 header + 4 program + 4 CRC
  dst[s + 3] = pat.transportStreamId >> 8;
  dst[s + 4] = pat.transportStreamId & 0xff;
  dst[s + 5] = 0xc1; // reserved, version 0, current_next 1
  dst[s + 6] = 0;
  dst[s + 7] = 0;
  dst[s + 8] = pat.programNumber >> 8;
  dst[s + 9] = pat.programNumber & 0xff;
  dst[s + 10] = 0xe0 | (pat.pmtPid >> 8);
  dst[s + 11] = pat.pmtPid & 0xff;
  finishSection(dst, s, s + 12, pos);
}

/**
 * Write a PMT into the 188 bytes at `pos`.
 *
 * @param dst destination
 * @param pos packet start
 * @param cc continuity counter of the PMT PID
 * @param pmt the program: PIDs, version, streams
 * @throws {StreamError} code `LimitExceeded` when the section does not fit one packet
 */
export function writePmt(
  dst: Uint8Array,
  pos: number,
  cc: number,
  pmt: {
    pmtPid: number;
    programNumber: number;
    version: number;
    pcrPid: number;
    streams: readonly PmtStream[];
  },
): void {
  let loop = 0;
  for (const stream of pmt.streams) loop += 5 + stream.descriptors.length;
  const sectionLength = 9 + loop + 4;
  if (5 + 3 + sectionLength > 188) {
    throw new StreamError(
      "LimitExceeded",
      `Cannot write PMT: ${pmt.streams.length} streams do not fit one TS packet`,
    );
  }
  writePsiHeader(dst, pos, pmt.pmtPid, cc);
  const s = pos + 5;
  dst[s] = 0x02;
  dst[s + 1] = 0xb0 | (sectionLength >> 8);
  dst[s + 2] = sectionLength & 0xff;
  dst[s + 3] = pmt.programNumber >> 8;
  dst[s + 4] = pmt.programNumber & 0xff;
  dst[s + 5] = 0xc1 | ((pmt.version & 0x1f) << 1);
  dst[s + 6] = 0;
  dst[s + 7] = 0;
  dst[s + 8] = 0xe0 | (pmt.pcrPid >> 8);
  dst[s + 9] = pmt.pcrPid & 0xff;
  dst[s + 10] = 0xf0;
  dst[s + 11] = 0;
  let p = s + 12;
  for (const stream of pmt.streams) {
    dst[p] = stream.streamType;
    dst[p + 1] = 0xe0 | (stream.pid >> 8);
    dst[p + 2] = stream.pid & 0xff;
    dst[p + 3] = 0xf0 | (stream.descriptors.length >> 8);
    dst[p + 4] = stream.descriptors.length & 0xff;
    dst.set(stream.descriptors, p + 5);
    p += 5 + stream.descriptors.length;
  }
  finishSection(dst, s, p, pos);
}
