/**
 * PES packets split into 188-byte transport packets, written in place.
 *
 * Specification: ISO/IEC 13818-1 §2.4.3.2 (transport_packet), §2.4.3.4
 * (adaptation_field: random_access_indicator, PCR, stuffing), §2.4.3.6
 * (PES_packet: PTS/DTS), §2.4.3.3 (continuity_counter).
 *
 * ```
 * first packet of a PES:
 *   0x47 | PUSI=1 PID | AFC CC | [adaptation_field: len flags(RAI,PCR) PCR(6) 0xFF…]
 *   | 00 00 01 stream_id PES_packet_length '10'00 0100 PTS_DTS_flags … len
 *   | PTS(5) [DTS(5)] | ES bytes…
 * following packets:
 *   0x47 | PUSI=0 PID | AFC CC | [stuffing AF on the last one] | ES bytes…
 * ```
 *
 * Stuffing goes only into the adaptation field of the last packet of a PES
 * (never 0xFF in the payload), so every packet is exactly 188 bytes.
 *
 * Data path: the ES pieces are copied once, back to back, into the tail of
 * the PES's own region of the output; then each packet's header is written
 * and its payload moved down into place with `copyWithin` (a memmove, no
 * view or object per packet). The staged bytes always lie at or after where
 * they go, and each header lands below the bytes still to be moved.
 *
 * @module
 */

/** Everything needed to write one PES; built in the sizing pass. */
export interface PesPlan {
  /** Elementary PID. */
  readonly pid: number;
  /** PES stream_id: 0xE0 video, 0xC0 MPEG audio, 0xBD private stream 1. */
  readonly streamId: number;
  /** PTS in 90 kHz, already wrapped to 33 bits. */
  readonly pts: number;
  /** DTS in 90 kHz, wrapped; equal to `pts` means "PTS only". */
  readonly dts: number;
  /** PCR base (90 kHz, wrapped) for this PES's first packet, or -1. */
  readonly pcr: number;
  /** Set random_access_indicator in the first packet. */
  readonly randomAccess: boolean;
  /**
   * The ES bytes, in order (views; not copied until written): `pieces`
   * from `firstPiece` (default 0), `pieceCount` of them (default all), so
   * the plans of one mux call can share one reused list.
   */
  readonly pieces: readonly Uint8Array[];
  /** Index of this PES's first piece in `pieces`; default 0. */
  readonly firstPiece?: number;
  /** How many pieces are this PES's; default `pieces.length`. */
  readonly pieceCount?: number;
  /**
   * Bytes that go before the pieces (a small header such as ADTS, in a
   * buffer shared by the plans of one call): `headLength` bytes of
   * `head` from `headAt`. Default none.
   */
  readonly head?: Uint8Array;
  /** Offset of the header in `head`. */
  readonly headAt?: number;
  /** Length of the header; default 0. */
  readonly headLength?: number;
  /** Sum of `pieces` lengths. */
  readonly esLength: number;
}

const TS_PACKET = 188;
const TS_PAYLOAD = 184;

function headerLength(plan: PesPlan): number {
  return plan.pts === plan.dts ? 14 : 19;
}

function firstAdaptationLength(plan: PesPlan): number {
  if (plan.pcr >= 0) return 8; // length + flags + PCR(6)
  return plan.randomAccess ? 2 : 0; // length + flags
}

/**
 * Transport packets one PES takes.
 *
 * @param plan the PES
 * @returns the packet count
 */
export function countPesPackets(plan: PesPlan): number {
  const total = headerLength(plan) + plan.esLength;
  const first = TS_PAYLOAD - firstAdaptationLength(plan);
  return total <= first ? 1 : 1 + Math.ceil((total - first) / TS_PAYLOAD);
}

/**
 * Write a 33-bit timestamp with its 4-bit prefix and marker bits (§2.4.3.7).
 *
 * @param dst destination
 * @param pos where the 5 bytes go
 * @param prefix 0b0010 PTS only, 0b0011 PTS of PTS+DTS, 0b0001 DTS
 * @param value 33-bit timestamp
 */
function writeTimestamp(
  dst: Uint8Array,
  pos: number,
  prefix: number,
  value: number,
): void {
  const high = Math.floor(value / 0x40000000) & 0x07;
  const mid = Math.floor(value / 0x8000) & 0x7fff;
  const low = value % 0x8000;
  dst[pos] = (prefix << 4) | (high << 1) | 1;
  dst[pos + 1] = mid >> 7;
  dst[pos + 2] = ((mid & 0x7f) << 1) | 1;
  dst[pos + 3] = low >> 7;
  dst[pos + 4] = ((low & 0x7f) << 1) | 1;
}

function writePcr(dst: Uint8Array, pos: number, base: number): void {
  dst[pos] = Math.floor(base / 0x2000000) & 0xff;
  dst[pos + 1] = Math.floor(base / 0x20000) & 0xff;
  dst[pos + 2] = Math.floor(base / 0x200) & 0xff;
  dst[pos + 3] = Math.floor(base / 2) & 0xff;
  dst[pos + 4] = ((base % 2) << 7) | 0x7e; // 6 reserved bits, extension 0
  dst[pos + 5] = 0;
}

function writePesHeader(dst: Uint8Array, pos: number, plan: PesPlan): number {
  const both = plan.pts !== plan.dts;
  const length = (both ? 13 : 8) + plan.esLength;
  dst[pos] = 0;
  dst[pos + 1] = 0;
  dst[pos + 2] = 1;
  dst[pos + 3] = plan.streamId;
  // PES_packet_length 0 (unbounded) is allowed for video only (§2.4.3.7).
  const fits = length <= 0xffff;
  dst[pos + 4] = fits ? length >> 8 : 0;
  dst[pos + 5] = fits ? length & 0xff : 0;
  dst[pos + 6] = 0x84; // '10', data_alignment_indicator
  dst[pos + 7] = both ? 0xc0 : 0x80;
  dst[pos + 8] = both ? 10 : 5;
  writeTimestamp(dst, pos + 9, both ? 0x3 : 0x2, plan.pts);
  if (both) writeTimestamp(dst, pos + 14, 0x1, plan.dts);
  return pos + (both ? 19 : 14);
}

/**
 * Write all transport packets of one PES at `pos`.
 *
 * @param plan the PES
 * @param dst destination with `countPesPackets(plan) * 188` bytes free at `pos`
 * @param pos where the first packet starts
 * @param cc the continuity counter of the first packet
 * @returns the position after the last packet
 */
export function writePesPackets(
  plan: PesPlan,
  dst: Uint8Array,
  pos: number,
  cc: number,
): number {
  let remaining = headerLength(plan) + plan.esLength;
  // Stage the ES bytes at the end of this PES's region (see the module doc).
  let source = pos + countPesPackets(plan) * TS_PACKET - plan.esLength;
  let staged = source;
  const head = plan.head;
  const headLength = plan.headLength ?? 0;
  if (head !== undefined && headLength > 0) {
    // A few bytes: a loop, no view.
    const at = plan.headAt ?? 0;
    for (let i = 0; i < headLength; i++) dst[staged + i] = head[at + i]!;
    staged += headLength;
  }
  const pieces = plan.pieces;
  const first = plan.firstPiece ?? 0;
  const end = first + (plan.pieceCount ?? pieces.length - first);
  for (let i = first; i < end; i++) {
    const piece = pieces[i]!;
    dst.set(piece, staged);
    staged += piece.length;
  }
  for (let index = 0; remaining > 0; index++) {
    const start = pos;
    const base = index === 0 ? firstAdaptationLength(plan) : 0;
    const chunk = Math.min(remaining, TS_PAYLOAD - base);
    const adaptation = TS_PAYLOAD - chunk; // base + stuffing
    dst[pos] = 0x47;
    dst[pos + 1] = (index === 0 ? 0x40 : 0) | (plan.pid >> 8);
    dst[pos + 2] = plan.pid & 0xff;
    dst[pos + 3] = (adaptation > 0 ? 0x30 : 0x10) | ((cc + index) & 0x0f);
    pos += 4;
    if (adaptation > 0) {
      dst[pos] = adaptation - 1; // adaptation_field_length
      if (adaptation > 1) {
        const pcr = index === 0 && plan.pcr >= 0;
        dst[pos + 1] = (index === 0 && plan.randomAccess ? 0x40 : 0) |
          (pcr ? 0x10 : 0);
        let p = pos + 2;
        if (pcr) writePcr(dst, p, plan.pcr), p += 6;
        dst.fill(0xff, p, pos + adaptation);
      }
      pos += adaptation;
    }
    let left = chunk;
    if (index === 0) {
      const end = writePesHeader(dst, pos, plan);
      left -= end - pos;
      pos = end;
    }
    if (left > 0) {
      if (source !== pos) dst.copyWithin(pos, source, source + left);
      pos += left;
      source += left;
    }
    remaining -= chunk;
    if (pos - start !== TS_PACKET) {
      throw new RangeError(
        `Cannot write TS packet: wrote ${pos - start} bytes`,
      );
    }
  }
  return pos;
}
