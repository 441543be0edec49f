// One RTMP player's timeline (private to protocols/rtmp): the player sees
// timestamps that start near 0 at its join, while it writes the stream's
// shared chunk bytes (_chunk_chain.ts: type-1 headers, deltas in stream
// order) as they are.
//
// `PlayTimeline.pieces(frames, bytes)` walks a batch's frames and their
// units in the shared bytes (_chunk_chain.ts: slot, delta and lengths are
// read from each unit's type-1 header, `prev = abs - delta`, no object per
// frame). A message whose `prev` is the absolute timestamp of the last message this
// player sent on that chunk stream continues the receiver's running
// timestamp correctly with the shared delta: nothing to do. Any other
// message (the first per chunk stream, after a resync to a newer keyframe, a
// config frame, a shared delta that was negative or too large) goes out with
// this player's own type-0 header carrying `abs - epoch` (12 bytes, 16 with
// an extended timestamp), then the rest of the shared bytes of that message.
// The common batch is returned as the very same shared `Uint8Array`; at a
// join or gap it becomes a few pieces (small headers and views of the shared
// bytes, nothing copied but the headers; a message whose own timestamp needs
// an extended timestamp, after 4.66 h of play, is rebuilt: its type-3
// chunks must then repeat it, RTMP 1.0 §5.3.1.3).
//
// Epoch: the smallest media timestamp of the player's first batch (the
// replay: configs stamped at the joining point, then the cached GOP), so no
// media timestamp is negative. A media message that would go back in time on
// its chunk stream by more than a second (a publisher's timestamps
// restarting) moves the epoch so the player's timeline continues from the
// latest time it sent, and every chunk stream then gets a fresh type-0
// header; a smaller step back (tracks interleaved on one chunk stream) is
// sent as it is. Data messages (onMetaData,
// stamped at 0 at ingest) go at their time on the player's timeline, or 0
// when that would be negative.
//
// Memory: a few numbers per player; the pieces of one batch.
import type { MediaFrame } from "../../media/frame.ts";
import { type ChunkHeader, writeMessageHeaderInto } from "./chunk_writer.ts";
import { flvTimestampOf } from "../../media/flv/mod.ts";
import {
  type ChainLink,
  type ChunkChain,
  deltaAt,
  NEVER_AS_IS,
  SLOT_CSID,
  slotAt,
  TYPE1_HEADER_LENGTH,
} from "./_chunk_chain.ts";

const WRAP = 0x100000000;
/**
 * A step back on one chunk stream up to this (ms) is jitter (tracks
 * interleaved on one chunk stream), not a restart of the timestamps.
 */
const JITTER_MS = 1_000;

/** One player's rebase of the shared chunk bytes. */
export class PlayTimeline {
  #chain: ChunkChain;
  /** Absolute timestamp of the last message sent per slot (NaN: none usable). */
  #lastAbs: number[] = [NaN, NaN, NaN];
  #epoch = NaN;
  /** Latest media timestamp sent on the player's timeline. */
  #maxTs = 0;
  /** Messages sent with this player's own type-0 header (for tests and stats). */
  rebased = 0;

  constructor(chain: ChunkChain) {
    this.#chain = chain;
  }

  /** The player's epoch (absolute ms that is its time 0), NaN before media. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * What to write for a batch: `bytes` itself when the shared headers fit
   * this player, else the pieces to write in order.
   *
   * @param frames the batch's frames, in order
   * @param bytes the batch's shared bytes (the frames' units joined)
   */
  pieces(
    frames: readonly MediaFrame[],
    bytes: Uint8Array,
  ): Uint8Array | Uint8Array[] {
    const chain = this.#chain;
    const lastAbs = this.#lastAbs;
    let off = 0;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      if (chain.isSkipped(frame)) continue;
      // the link's prev/abs/slot, read in place (no object on this path)
      const slot = slotAt(bytes, off);
      const delta = deltaAt(bytes, off);
      const abs = flvTimestampOf(frame);
      if (delta === NEVER_AS_IS || abs - delta !== lastAbs[slot]) {
        return this.#patch(frames, bytes, i, off);
      }
      lastAbs[slot] = abs;
      off += chain.unitLengthAt(bytes, off);
    }
    return bytes;
  }

  #patch(
    frames: readonly MediaFrame[],
    bytes: Uint8Array,
    from: number,
    start: number,
  ): Uint8Array[] {
    const chain = this.#chain;
    const lastAbs = this.#lastAbs;
    const out: Uint8Array[] = [];
    if (Number.isNaN(this.#epoch)) {
      this.#epoch = firstEpoch(chain, frames, bytes);
    }
    let run = 0; // start of the shared run not yet pushed
    let off = start;
    for (let i = from; i < frames.length; i++) {
      const frame = frames[i]!;
      if (chain.isSkipped(frame)) continue;
      const link = chain.linkAt(frame, bytes, off);
      const unit = bytes.subarray(off, off + link.unitLength);
      off += link.unitLength;
      if (link.prev === lastAbs[link.slot]) {
        lastAbs[link.slot] = link.abs;
        continue;
      }
      if (off - link.unitLength > run) {
        out.push(bytes.subarray(run, off - link.unitLength));
      }
      run = off;
      this.#own(link, unit, out);
    }
    if (off > run) out.push(bytes.subarray(run, off));
    return out;
  }

  /** The latest media time sent on this player's timeline. */
  #latest(): number {
    let max = this.#maxTs;
    for (let slot = 0; slot < 2; slot++) {
      const ts = this.#lastAbs[slot]! - this.#epoch;
      if (ts > max) max = ts; // false for NaN
    }
    return max;
  }

  /** This player's type-0 header for `link`, then the rest of its shared bytes. */
  #own(link: ChainLink, unit: Uint8Array, out: Uint8Array[]): void {
    const lastAbs = this.#lastAbs;
    const slot = link.slot;
    this.rebased++;
    let ts: number;
    if (slot === 2 || Number.isNaN(this.#epoch)) {
      ts = Number.isNaN(this.#epoch) ? -1 : link.abs - this.#epoch;
      // at 0 when before the player's start: the next data message is rebased too
      lastAbs[slot] = ts < 0 ? NaN : link.abs;
      if (ts < 0) ts = 0;
    } else {
      ts = link.abs - this.#epoch;
      const last = lastAbs[slot]!;
      if (ts < -JITTER_MS || link.abs < last - JITTER_MS) {
        // a discontinuity: continue from the latest time sent, and give
        // every chunk stream a fresh type-0 header
        ts = this.#latest();
        this.#epoch = link.abs - ts;
        lastAbs[0] = lastAbs[1] = lastAbs[2] = NaN;
      }
      // a small step back (interleaved tracks on one chunk stream) goes as
      // it is; just before the epoch, at 0 (and the next one rebased too)
      lastAbs[slot] = ts < 0 ? NaN : link.abs;
      if (ts < 0) ts = 0;
      if (ts > this.#maxTs) this.#maxTs = ts;
    }
    const chain = this.#chain;
    const wire = ts % WRAP;
    const csid = SLOT_CSID[slot]!;
    if (wire < 0xffffff) {
      const header = new Uint8Array(12);
      writeMessageHeaderInto(
        messageHeader(link, csid, wire, chain),
        link.payloadLength,
        header,
        0,
      );
      out.push(header, unit.subarray(TYPE1_HEADER_LENGTH));
      return;
    }
    out.push(rebuildExtended(unit, link, csid, wire, chain));
  }
}

/** The smallest media timestamp of a player's first batch (data only: NaN). */
function firstEpoch(
  chain: ChunkChain,
  frames: readonly MediaFrame[],
  bytes: Uint8Array,
): number {
  let min = NaN;
  let off = 0;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (chain.isSkipped(frame)) continue;
    const slot = slotAt(bytes, off);
    off += chain.unitLengthAt(bytes, off);
    if (slot === 2) continue;
    const abs = flvTimestampOf(frame);
    if (!(abs >= min)) min = abs;
  }
  return min;
}

/** The chunk writer's header of `link` at this player's timestamp. */
function messageHeader(
  link: ChainLink,
  csid: number,
  timestamp: number,
  chain: ChunkChain,
): ChunkHeader {
  return { csid, typeId: link.typeId, streamId: chain.streamId, timestamp };
}

/**
 * The whole message again with a type-0 header carrying an extended
 * timestamp, repeated on each type-3 chunk (RTMP 1.0 §5.3.1.3).
 */
function rebuildExtended(
  unit: Uint8Array,
  link: ChainLink,
  csid: number,
  ts: number,
  chain: ChunkChain,
): Uint8Array {
  const chunkSize = chain.chunkSize;
  const length = link.payloadLength;
  const chunks = Math.max(1, Math.ceil(length / chunkSize));
  const out = new Uint8Array(16 + length + (chunks - 1) * 5);
  let o = writeMessageHeaderInto(
    messageHeader(link, csid, ts, chain),
    length,
    out,
    0,
  ); // 16: the extended timestamp follows the 12 bytes
  const view = new DataView(out.buffer);
  let p = TYPE1_HEADER_LENGTH;
  for (let done = 0; done < length; done += chunkSize) {
    if (done > 0) {
      out[o] = 0xc0 | csid;
      view.setUint32(o + 1, ts);
      o += 5;
      p += 1; // the shared type-3 basic header
    }
    const n = Math.min(chunkSize, length - done);
    out.set(unit.subarray(p, p + n), o);
    o += n;
    p += n;
  }
  return out;
}
