/**
 * PSI input side of the demuxer: sections reassembled from transport packet
 * payloads, then the Program Association and Program Map tables parsed.
 *
 * Specification: ISO/IEC 13818-1 §2.4.4.2 (pointer_field), §2.4.4.3
 * (program_association_section), §2.4.4.8 (TS_program_map_section), §2.6.8
 * (registration_descriptor), Annex A (CRC_32).
 *
 * Data path: a section's bytes are copied into one buffer of at most
 * {@linkcode MAX_SECTION_BYTES} (section_length is a 12-bit field capped at
 * 1021 for PAT/PMT), so memory per PSI PID is fixed.
 *
 * @module
 */
import { crc32Mpeg2 } from "./_crc32.ts";

/** 3-byte section header plus the largest section_length (§2.4.4.3). */
export const MAX_SECTION_BYTES = 3 + 1021;

/**
 * Collects one PSI PID's sections across packets. Each completed section
 * (CRC checked) is passed to `onSection`; a CRC or length error drops it.
 */
export class SectionAssembler {
  #buf = new Uint8Array(MAX_SECTION_BYTES);
  #len = 0;
  #active = false;
  readonly #onSection: (section: Uint8Array) => void;

  /** @param onSection receives each valid section (a view, valid during the call) */
  constructor(onSection: (section: Uint8Array) => void) {
    this.#onSection = onSection;
  }

  /** Forget a partial section (continuity error). */
  reset(): void {
    this.#active = false;
    this.#len = 0;
  }

  /**
   * Feed one packet payload.
   *
   * @param payload the payload bytes (after the adaptation field)
   * @param start payload_unit_start_indicator
   * @returns false when the payload was malformed (pointer past the end)
   */
  push(payload: Uint8Array, start: boolean): boolean {
    if (!start) {
      if (this.#active) this.#feed(payload);
      return true;
    }
    if (payload.length === 0) return false;
    const pointer = payload[0]!;
    if (1 + pointer > payload.length) {
      this.reset();
      return false;
    }
    if (this.#active) this.#feed(payload.subarray(1, 1 + pointer));
    this.reset();
    let rest = payload.subarray(1 + pointer);
    // Sections back to back in this packet; 0xFF starts stuffing.
    while (rest.length > 0 && rest[0] !== 0xff) {
      this.#active = true;
      const used = this.#feed(rest);
      if (this.#active) break; // continues in the next packet
      rest = rest.subarray(used);
    }
    return true;
  }

  /** Append bytes of the current section; returns how many were used. */
  #feed(bytes: Uint8Array): number {
    let used = 0;
    if (this.#len < 3) {
      used = Math.min(3 - this.#len, bytes.length);
      this.#buf.set(bytes.subarray(0, used), this.#len);
      this.#len += used;
      if (this.#len < 3) return used;
      const total = 3 + this.#sectionLength();
      if (total > MAX_SECTION_BYTES || total < 3 + 5 + 4) {
        this.reset();
        return bytes.length;
      }
    }
    const total = 3 + this.#sectionLength();
    const take = Math.min(total - this.#len, bytes.length - used);
    this.#buf.set(bytes.subarray(used, used + take), this.#len);
    this.#len += take;
    used += take;
    if (this.#len === total) {
      const section = this.#buf.subarray(0, total);
      this.reset();
      if (crc32Mpeg2(section, 0, total) === 0) this.#onSection(section);
    }
    return used;
  }

  #sectionLength(): number {
    return ((this.#buf[1]! & 0x0f) << 8) | this.#buf[2]!;
  }
}

/** One program listed in the PAT. */
export interface PatProgram {
  /** program_number (never 0: the network PID entry is skipped). */
  readonly programNumber: number;
  /** program_map_PID. */
  readonly pmtPid: number;
}

/**
 * Parse a program_association_section (CRC already checked).
 *
 * @param section the whole section
 * @returns the programs, or undefined when it is not a current PAT
 */
export function parsePat(section: Uint8Array): PatProgram[] | undefined {
  if (section[0] !== 0x00 || (section[5]! & 1) === 0) return undefined;
  const end = section.length - 4;
  const programs: PatProgram[] = [];
  for (let p = 8; p + 4 <= end; p += 4) {
    const programNumber = (section[p]! << 8) | section[p + 1]!;
    const pid = ((section[p + 2]! & 0x1f) << 8) | section[p + 3]!;
    if (programNumber !== 0) programs.push({ programNumber, pmtPid: pid });
  }
  return programs;
}

/** One elementary stream of a PMT. */
export interface PmtEntry {
  /** stream_type (Table 2-34). */
  readonly streamType: number;
  /** elementary_PID. */
  readonly pid: number;
  /** The ES_info descriptors (a view of the section; copy to keep). */
  readonly descriptors: Uint8Array;
}

/** A parsed PMT. */
export interface PmtTable {
  /** program_number. */
  readonly programNumber: number;
  /** version_number. */
  readonly version: number;
  /** PCR_PID (0x1FFF: none). */
  readonly pcrPid: number;
  /** The program_info descriptors. */
  readonly programDescriptors: Uint8Array;
  /** The elementary streams, in table order. */
  readonly streams: PmtEntry[];
}

/**
 * Parse a TS_program_map_section (CRC already checked).
 *
 * @param section the whole section
 * @returns the table, or undefined when it is not a current, well-formed PMT
 */
export function parsePmt(section: Uint8Array): PmtTable | undefined {
  if (section[0] !== 0x02 || (section[5]! & 1) === 0) return undefined;
  const end = section.length - 4;
  if (end < 12) return undefined;
  const infoLength = ((section[10]! & 0x0f) << 8) | section[11]!;
  if (12 + infoLength > end) return undefined;
  const streams: PmtEntry[] = [];
  for (let p = 12 + infoLength; p + 5 <= end;) {
    const esLength = ((section[p + 3]! & 0x0f) << 8) | section[p + 4]!;
    if (p + 5 + esLength > end) return undefined;
    streams.push({
      streamType: section[p]!,
      pid: ((section[p + 1]! & 0x1f) << 8) | section[p + 2]!,
      descriptors: section.subarray(p + 5, p + 5 + esLength),
    });
    p += 5 + esLength;
  }
  return {
    programNumber: (section[3]! << 8) | section[4]!,
    version: (section[5]! >> 1) & 0x1f,
    pcrPid: ((section[8]! & 0x1f) << 8) | section[9]!,
    programDescriptors: section.subarray(12, 12 + infoLength),
    streams,
  };
}

/**
 * Find a descriptor by tag in a descriptor loop.
 *
 * @param loop the descriptor bytes
 * @param tag descriptor_tag
 * @returns the descriptor's body (a view), or undefined
 */
export function findDescriptor(
  loop: Uint8Array,
  tag: number,
): Uint8Array | undefined {
  for (let p = 0; p + 2 <= loop.length;) {
    const length = loop[p + 1]!;
    if (p + 2 + length > loop.length) return undefined;
    if (loop[p] === tag) return loop.subarray(p + 2, p + 2 + length);
    p += 2 + length;
  }
  return undefined;
}

/** True when a registration descriptor (0x05) carries `format` (4 ASCII). */
export function hasRegistration(loop: Uint8Array, format: string): boolean {
  for (let p = 0; p + 2 <= loop.length;) {
    const length = loop[p + 1]!;
    if (p + 2 + length > loop.length) return false;
    if (loop[p] === 0x05 && length >= 4) {
      let same = true;
      for (let i = 0; i < 4; i++) {
        if (loop[p + 2 + i] !== format.charCodeAt(i)) same = false;
      }
      if (same) return true;
    }
    p += 2 + length;
  }
  return false;
}
