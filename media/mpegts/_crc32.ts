/**
 * CRC-32/MPEG-2 for PSI sections.
 *
 * Specification: ISO/IEC 13818-1 Annex A (polynomial 0x04C11DB7, initial value
 * 0xFFFFFFFF, no reflection, no final XOR); §2.4.4.3/§2.4.4.8 CRC_32 field.
 *
 * @module
 */

/** The 256-entry lookup table, computed once at module load and frozen in use. */
const TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let bit = 0; bit < 8; bit++) {
      c = (c & 0x80000000) !== 0 ? (c << 1) ^ 0x04c11db7 : c << 1;
    }
    table[i] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32/MPEG-2 of `data[start, end)`.
 *
 * @param data the bytes
 * @param start first byte
 * @param end one past the last byte
 * @returns the CRC as an unsigned 32-bit integer
 */
export function crc32Mpeg2(
  data: Uint8Array,
  start: number,
  end: number,
): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]!) & 0xff]!;
  }
  return crc >>> 0;
}
