/**
 * {@linkcode DtlsRetransmitFilter}: drops a peer's *early* retransmissions
 * of DTLS handshake flights before they reach werift's DTLS server.
 *
 * Why: Chromium retransmits a flight after ~50–100 ms without an answer.
 * On a loaded machine werift answers later than that, and then handles the
 * duplicate ClientHello / Certificate / ClientKeyExchange as new messages
 * (a second flight 2 or 4, a fresh flight-6 state), and the handshake
 * stalls: measured here, 1 WHEP viewer in 8 stuck in "dtls connecting"
 * under a load average of 18 on 2 cores, none with this filter.
 *
 * What: an epoch-0 handshake record is keyed by (msg_type, message_seq,
 * fragment_offset); a datagram whose epoch-0 handshake records were all
 * delivered less than `windowMs` ago is dropped. Later retransmissions pass
 * (so a flight werift really lost is still answered), as does every
 * datagram with anything else in it. Bounded: at most 64 keys per session.
 *
 * @module
 */

const RECORD_HEADER = 13;
const HANDSHAKE_HEADER = 12;
const MAX_KEYS = 64;

/**
 * The keys of the epoch-0 handshake records of a DTLS datagram, or `null`
 * when it holds anything else (application data, alerts, epoch ≥ 1 only,
 * malformed records): such datagrams are never filtered.
 *
 * @example
 * ```ts
 * import { dtlsHandshakeKeys } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const record = new Uint8Array(13 + 12);
 * record.set([22, 0xfe, 0xfd]); // handshake, DTLS 1.2, epoch 0
 * record[12] = 12; // length
 * record[13] = 1; // ClientHello
 * assert.deepEqual(dtlsHandshakeKeys(record), ["1/0/0"]);
 * assert.equal(dtlsHandshakeKeys(new Uint8Array([23, 0xfe, 0xfd])), null);
 * ```
 */
export function dtlsHandshakeKeys(datagram: Uint8Array): string[] | null {
  const keys: string[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    if (offset + RECORD_HEADER > datagram.length) return null;
    const type = datagram[offset]!;
    const epoch = (datagram[offset + 3]! << 8) | datagram[offset + 4]!;
    const length = (datagram[offset + 11]! << 8) | datagram[offset + 12]!;
    const body = offset + RECORD_HEADER;
    if (body + length > datagram.length) return null;
    if (type === 22 && epoch === 0) {
      if (length < HANDSHAKE_HEADER) return null;
      const msgType = datagram[body]!;
      const messageSeq = (datagram[body + 4]! << 8) | datagram[body + 5]!;
      const fragmentOffset = (datagram[body + 6]! << 16) |
        (datagram[body + 7]! << 8) | datagram[body + 8]!;
      keys.push(`${msgType}/${messageSeq}/${fragmentOffset}`);
    } else if (type !== 20 && !(type === 22 && epoch > 0)) {
      return null; // alert or application data: never filtered
    }
    offset = body + length;
  }
  return keys.length > 0 ? keys : null;
}

/**
 * Per-session filter of early DTLS flight retransmissions (see the module
 * doc).
 *
 * @example
 * ```ts
 * import { DtlsRetransmitFilter } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const hello = new Uint8Array(25);
 * hello.set([22, 0xfe, 0xfd]);
 * hello[12] = 12;
 * hello[13] = 1;
 * const filter = new DtlsRetransmitFilter(1000);
 * assert.equal(filter.accept(hello, 0), true);
 * assert.equal(filter.accept(hello, 80), false); // early duplicate
 * assert.equal(filter.accept(hello, 1500), true); // a real retransmission
 * ```
 */
export class DtlsRetransmitFilter {
  readonly #windowMs: number;
  readonly #seen = new Map<string, number>();
  /** Datagrams dropped as early duplicates. */
  dropped = 0;

  /**
   * Create a filter.
   *
   * @param windowMs how long after a delivery a duplicate is dropped
   */
  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True when the datagram should reach the DTLS stack (`now` in ms). */
  accept(datagram: Uint8Array, now: number): boolean {
    const keys = dtlsHandshakeKeys(datagram);
    if (!keys) return true;
    const duplicate = keys.every((k) => {
      const at = this.#seen.get(k);
      return at !== undefined && now - at < this.#windowMs;
    });
    if (duplicate) {
      this.dropped++;
      return false;
    }
    for (const k of keys) {
      if (!this.#seen.has(k) && this.#seen.size >= MAX_KEYS) continue;
      this.#seen.set(k, now);
    }
    return true;
  }
}
