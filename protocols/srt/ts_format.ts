/**
 * {@linkcode SrtTsFormat}: frames → MPEG-TS packets for SRT readers, one
 * instance per stream (the TS continuity counters are the stream's), each
 * frame serialized once and shared by every reader of the stream.
 *
 * Data path: `serialize(frame)` runs the stream's `MpegTsMuxer` on that one
 * frame; the PAT/PMT the muxer puts first are kept only before video
 * keyframes (and every 500 ms of audio-only media), with their own
 * continuity counters, so a reader joining at a keyframe gets the program
 * tables first and the steady state carries no table per frame.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { MPEGTS_PACKET_BYTES, MpegTsMuxer } from "../../media/mpegts/mod.ts";

const EMPTY = new Uint8Array(0);
const PAT_PID = 0;
const PMT_PID = 0x1000;
const PSI_REPEAT_S = 0.5;

/**
 * A per-stream MPEG-TS serializer (shape of the kernel's egress format).
 *
 * @example Tables before a keyframe only
 * ```ts
 * import { SrtTsFormat } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const ts = new SrtTsFormat();
 * ts.serialize({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]) });
 * const first = ts.serialize({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(10) })!;
 * const next = ts.serialize({ kind: "audio", codec: "aac", trackId: 0, pts: 23, dts: 23,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(10) })!;
 * assert.equal(first.length, 3 * 188);
 * assert.equal(next.length, 188);
 * ```
 */
export class SrtTsFormat {
  /** "mpegts". */
  readonly name: string = "mpegts";
  #muxer = new MpegTsMuxer();
  #patCc = 0;
  #pmtCc = 0;
  #lastPsiS = -Infinity;
  #hasVideo = false;

  /**
   * The TS packets of one frame.
   *
   * @param frame a config or media frame
   * @returns the packets (empty for config frames), null when TS cannot carry the codec
   */
  serialize(frame: MediaFrame): Uint8Array | null {
    if (frame.kind === "data") return null;
    let out: Uint8Array;
    try {
      if (frame.config) {
        this.#muxer.configure(frame);
        if (frame.kind === "video") this.#hasVideo = true;
        return EMPTY;
      }
      out = this.#muxer.mux([frame]);
    } catch {
      return null;
    }
    const t = frame.dts / frame.timescale;
    const keepPsi = this.#hasVideo
      ? frame.kind === "video" && frame.keyframe
      : Math.abs(t - this.#lastPsiS) >= PSI_REPEAT_S;
    let start = 0;
    let psi = 0;
    for (
      let at = 0;
      at + MPEGTS_PACKET_BYTES <= out.length && psi < 2;
      at += MPEGTS_PACKET_BYTES
    ) {
      const pid = ((out[at + 1]! & 0x1f) << 8) | out[at + 2]!;
      if (pid !== PAT_PID && pid !== PMT_PID) break;
      psi++;
      if (keepPsi) {
        const cc = pid === PAT_PID ? this.#patCc++ : this.#pmtCc++;
        out[at + 3] = (out[at + 3]! & 0xf0) | (cc & 0x0f);
      } else start = at + MPEGTS_PACKET_BYTES;
    }
    if (keepPsi) this.#lastPsiS = t;
    return start === 0 ? out : out.subarray(start);
  }
}
