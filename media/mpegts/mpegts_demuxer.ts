/**
 * {@linkcode MpegTsDemuxer}: an MPEG-2 transport stream, pushed in chunks of
 * any size, to frames (H.264, H.265, AAC, MP3, Opus) at 90 kHz.
 *
 * Specification: ISO/IEC 13818-1 (ITU-T H.222.0) — §2.4.3.2 transport packet
 * (sync byte, transport_error_indicator, PUSI, PID, scrambling), §2.4.3.3
 * continuity_counter (duplicates, discontinuity_indicator), §2.4.3.4
 * adaptation field (random_access_indicator, PCR), §2.4.3.6–7 PES (PTS/DTS),
 * §2.4.4 PAT/PMT; §2.14/§2.17 AVC/HEVC carriage.
 *
 * ```
 * push(chunk) ─► 188-byte packets (resync on a lost 0x47, a partial packet carried)
 *   PID 0        ─► PAT ─► chosen program's PMT PID
 *   PMT PID      ─► PMT ─► elementary PIDs + stream types (programChanged)
 *   PCR PID      ─► adaptation field PCR ─► stats.lastPcr
 *   ES PID       ─► continuity check ─► PES reassembly ─► ES parser ─► frames
 *                   (h264/h265: Annex B → AVCC + avcC/hvcC; aac: ADTS → raw +
 *                    AudioSpecificConfig; mp3: MPEG audio frames; opus: control
 *                    headers stripped + OpusHead)
 * ```
 *
 * PES boundaries: an audio PES completes as soon as its PES_packet_length is
 * in; a video PES at the next payload_unit_start of its PID (a video PES
 * without PTS that does not start with an access unit delimiter continues
 * the access unit in progress, as muxers that split large pictures write
 * it). So a video frame comes out when the next one starts arriving.
 *
 * Damage: a continuity counter jump (or transport_error_indicator, scrambled
 * payload, lost sync) drops the access unit in progress on that PID with a
 * `pesDropped` event; video then resumes at its next keyframe. Timestamps
 * are unwrapped across the 33-bit wrap (one shared reference, so tracks stay
 * aligned) and continue monotonically past 2^33.
 *
 * Data path: the chunk is read in place; payload bytes are copied once into
 * a per-PID PES buffer (bounded by `maxPesBytes`; audio by 2 MiB), then once
 * into each output frame. Other memory is fixed: one 188-byte carry, one
 * 1 KiB section buffer per PSI PID, at most 16 elementary streams.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import {
  AUDIO_PES_CAP,
  buildStreams,
  continuation,
  type EsPid,
  type PidState,
  type PsiPid,
  signed,
} from "./_demux_streams.ts";
import { parsePat, parsePmt, SectionAssembler } from "./_demux_psi.ts";
import type { Pes, PesFailure } from "./_pes_assembler.ts";
import { VideoEs } from "./_video_es.ts";
import type {
  MpegTsDemuxerOptions,
  MpegTsDemuxEvent,
  MpegTsDemuxStats,
  MpegTsDropReason,
  MpegTsStreamInfo,
} from "./demux_types.ts";

export type * from "./demux_types.ts";

const PACKET = 188;

/** Writable twin of the public stats. */
type Counters = {
  -readonly [K in keyof MpegTsDemuxStats]: MpegTsDemuxStats[K];
};

/**
 * The MPEG-TS demuxer: `push()` bytes in, frames out in decode order; a
 * config frame always precedes a track's first media frame and every config
 * change.
 *
 * @example Round trip through the muxer
 * ```ts
 * import { MpegTsDemuxer, MpegTsMuxer } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 *
 * const muxer = new MpegTsMuxer();
 * const base = { kind: "audio", codec: "aac", trackId: 0, timescale: 90000, keyframe: true } as const;
 * const asc = new Uint8Array([0x11, 0x90]); // AAC LC 48 kHz stereo
 * const ts = muxer.mux([
 *   { ...base, pts: 0, dts: 0, config: true, data: asc },
 *   { ...base, pts: 1920, dts: 1920, config: false, data: new Uint8Array([1, 2, 3]) },
 * ]);
 * const demuxer = new MpegTsDemuxer();
 * const frames = [...demuxer.push(ts), ...demuxer.flush()];
 * assert.deepEqual(frames.map((f) => [f.config, f.pts]), [[true, 1920], [false, 1920]]);
 * assert.deepEqual([...frames[0]!.data], [0x11, 0x90]);
 * assert.equal(demuxer.stats.frames, 1);
 * ```
 */
export class MpegTsDemuxer {
  readonly #programNumber: number | undefined;
  readonly #maxPesBytes: number;
  readonly #onEvent: ((event: MpegTsDemuxEvent) => void) | undefined;
  #pids = new Map<number, PidState>();
  #pmtPid = -1;
  #pcrPid = -1;
  #program = 0;
  #signature = "";
  #streams: MpegTsStreamInfo[] = [];
  #carry = new Uint8Array(PACKET);
  #carryLen = 0;
  #lastRaw = -1;
  #lastOut = 0;
  #stats: Counters = {
    packets: 0,
    bytes: 0,
    continuityErrors: 0,
    droppedAccessUnits: 0,
    skippedAccessUnits: 0,
    resyncs: 0,
    frames: 0,
    lastPcr: undefined,
  };

  /**
   * Create a demuxer waiting for a PAT.
   *
   * @param options program choice, PES size bound, event callback
   * @throws {RangeError} when `maxPesBytes` is not a positive integer
   */
  constructor(options: MpegTsDemuxerOptions = {}) {
    this.#programNumber = options.programNumber;
    this.#maxPesBytes = options.maxPesBytes ?? 16 * 1024 * 1024;
    if (!(Number.isInteger(this.#maxPesBytes) && this.#maxPesBytes > 0)) {
      throw new RangeError(
        `Cannot create MPEG-TS demuxer: maxPesBytes ${options.maxPesBytes} is not a positive integer`,
      );
    }
    this.#onEvent = options.onEvent;
    this.#pids.set(0, this.#psi((s) => this.#onPat(s)));
  }

  /** Counters since creation (a snapshot). */
  get stats(): MpegTsDemuxStats {
    return { ...this.#stats };
  }

  /** The elementary streams of the current program (empty before its PMT). */
  get streams(): readonly MpegTsStreamInfo[] {
    return this.#streams;
  }

  /**
   * Demux a chunk of any size (not necessarily packet-aligned).
   *
   * @param chunk the bytes (read during the call only; may be reused after)
   * @returns the frames completed by this chunk, in decode order
   */
  push(chunk: Uint8Array): MediaFrame[] {
    const out: MediaFrame[] = [];
    this.#stats.bytes += chunk.length;
    let data = chunk;
    let pos = 0;
    const have = this.#carryLen;
    if (have > 0) {
      const need = PACKET - have;
      if (chunk.length < need) {
        this.#carry.set(chunk, have);
        this.#carryLen += chunk.length;
        return out;
      }
      this.#carryLen = 0;
      if (chunk.length === need || chunk[need] === 0x47) {
        this.#carry.set(chunk.subarray(0, need), have);
        this.#packet(this.#carry, 0, out);
        pos = need;
      } else {
        // The carried sync byte was a false one: search again over both.
        data = new Uint8Array(have + chunk.length);
        data.set(this.#carry.subarray(0, have));
        data.set(chunk, have);
        pos = this.#resync(data, 0);
      }
    }
    const n = data.length;
    while (pos + PACKET <= n) {
      if (data[pos] !== 0x47) {
        pos = this.#resync(data, pos);
        continue;
      }
      this.#packet(data, pos, out);
      pos += PACKET;
    }
    if (pos < n) {
      if (data[pos] !== 0x47) pos = this.#resync(data, pos);
      this.#carry.set(data.subarray(pos));
      this.#carryLen = n - pos;
    }
    this.#count(out);
    return out;
  }

  /**
   * End of input: complete the PES still open on every PID (a partial
   * packet is discarded).
   *
   * @returns the last frames
   */
  flush(): MediaFrame[] {
    const out: MediaFrame[] = [];
    this.#carryLen = 0;
    for (const [pid, state] of this.#pids) {
      if (state.type === "es") {
        this.#deliver(pid, state, state.asm.finish(), out);
      }
    }
    this.#count(out);
    return out;
  }

  #count(out: MediaFrame[]): void {
    for (const frame of out) if (!frame.config) this.#stats.frames++;
  }

  #emit(event: MpegTsDemuxEvent): void {
    this.#onEvent?.(event);
  }

  #psi(onSection: (section: Uint8Array) => void): PsiPid {
    return { type: "psi", asm: new SectionAssembler(onSection), cc: -1 };
  }

  /** Find the next plausible sync byte at or after `pos + 1`; returns its index (or the end). */
  #resync(b: Uint8Array, pos: number): number {
    this.#stats.resyncs++;
    let q = pos + 1;
    for (; q < b.length; q++) {
      if (b[q] === 0x47 && (q + PACKET >= b.length || b[q + PACKET] === 0x47)) {
        break;
      }
    }
    this.#emit({ type: "resync", skippedBytes: q - pos });
    for (const [pid, state] of this.#pids) {
      if (state.type === "psi") state.asm.reset();
      else this.#damage(pid, state, "resync");
    }
    return q;
  }

  #damage(pid: number, state: EsPid, reason: MpegTsDropReason): void {
    if (state.asm.damage()) this.#drop(pid, reason);
    state.es.damage();
  }

  #drop(pid: number, reason: MpegTsDropReason, error?: StreamError): void {
    this.#stats.droppedAccessUnits++;
    this.#emit(
      error === undefined
        ? { type: "pesDropped", pid, reason }
        : { type: "pesDropped", pid, reason, error },
    );
  }

  #packet(b: Uint8Array, p: number, out: MediaFrame[]): void {
    this.#stats.packets++;
    const b1 = b[p + 1]!;
    const pid = ((b1 & 0x1f) << 8) | b[p + 2]!;
    const state = this.#pids.get(pid);
    if (state === undefined && pid !== this.#pcrPid) return;
    const b3 = b[p + 3]!;
    const control = (b3 >> 4) & 3;
    if ((b1 & 0x80) !== 0 || control === 0) {
      if (state?.type === "es") this.#damage(pid, state, "transportError");
      else state?.asm.reset();
      return;
    }
    let start = p + 4;
    let randomAccess = false;
    let discontinuity = false;
    if ((control & 2) !== 0) {
      const length = b[p + 4]!;
      if (length > (control === 3 ? 182 : 183)) {
        if (state?.type === "es") this.#damage(pid, state, "malformed");
        return;
      }
      if (length > 0) {
        const flags = b[p + 5]!;
        discontinuity = (flags & 0x80) !== 0;
        randomAccess = (flags & 0x40) !== 0;
        if ((flags & 0x10) !== 0 && length >= 7 && pid === this.#pcrPid) {
          const base = b[p + 6]! * 0x2000000 + b[p + 7]! * 0x20000 +
            b[p + 8]! * 0x200 + b[p + 9]! * 2 + (b[p + 10]! >> 7);
          this.#stats.lastPcr = base * 300 + ((b[p + 10]! & 1) << 8) +
            b[p + 11]!;
        }
      }
      start = p + 5 + length;
    }
    if (state === undefined || (control & 1) === 0) return;
    const cc = b3 & 0x0f;
    if (state.cc >= 0 && !discontinuity) {
      if (cc === state.cc) return; // duplicate packet (§2.4.3.3)
      const expected = (state.cc + 1) & 0x0f;
      if (cc !== expected) {
        this.#stats.continuityErrors++;
        this.#emit({ type: "continuityError", pid, expected, got: cc });
        if (state.type === "es") this.#damage(pid, state, "continuity");
        else state.asm.reset();
      }
    }
    state.cc = cc;
    const payload = b.subarray(start, p + PACKET);
    const unitStart = (b1 & 0x40) !== 0;
    if (state.type === "psi") {
      state.asm.push(payload, unitStart);
      return;
    }
    if ((b3 & 0xc0) !== 0) {
      this.#damage(pid, state, "scrambled");
      return;
    }
    if (unitStart) {
      const es = state.es instanceof VideoEs && state.asm.active
        ? continuation(payload, state.es.codec)
        : undefined;
      if (es !== undefined) {
        this.#deliver(pid, state, state.asm.merge(es), out);
        return;
      }
      this.#deliver(pid, state, state.asm.finish(), out);
      this.#deliver(pid, state, state.asm.begin(payload, randomAccess), out);
    } else {
      this.#deliver(pid, state, state.asm.continue(payload), out);
    }
  }

  #deliver(
    pid: number,
    state: EsPid,
    result: Pes | PesFailure | "damaged" | undefined,
    out: MediaFrame[],
  ): void {
    if (result === undefined || result === "damaged") return;
    if (typeof result === "string") {
      const error = result === "tooLarge"
        ? new StreamError(
          "LimitExceeded",
          `Cannot reassemble PES on PID ${pid}: larger than ${
            state.info.kind === "audio"
              ? Math.min(this.#maxPesBytes, AUDIO_PES_CAP)
              : this.#maxPesBytes
          } bytes`,
        )
        : undefined;
      this.#drop(pid, result, error);
      state.es.damage();
      return;
    }
    const es = state.es;
    if (es instanceof VideoEs) {
      let dts: number;
      let pts: number;
      if (result.pts < 0) {
        if (Number.isNaN(state.lastDts)) return this.#skipped();
        dts = pts = state.lastDts + state.lastDelta;
      } else {
        dts = this.#unwrap(result.dts);
        pts = dts + signed(result.pts - result.dts);
      }
      if (!Number.isNaN(state.lastDts) && dts > state.lastDts) {
        state.lastDelta = dts - state.lastDts;
      }
      state.lastDts = dts;
      const r = es.accessUnit(
        result.payload,
        pts,
        dts,
        result.randomAccess,
        out,
      );
      if (r === "skipped") this.#skipped();
      else if (r === "malformed") {
        this.#drop(pid, "malformed");
        es.damage();
      }
      return;
    }
    const pts = result.pts < 0 ? NaN : this.#unwrap(result.pts);
    if (es.pes(result.payload, pts, out) === "malformed") {
      this.#drop(pid, "malformed");
      es.damage();
    }
  }

  #skipped(): void {
    this.#stats.skippedAccessUnits++;
  }

  /** Unwrap a 33-bit timestamp against the last one seen (any track). */
  #unwrap(raw: number): number {
    if (this.#lastRaw < 0) {
      this.#lastRaw = raw;
      this.#lastOut = raw;
      return raw;
    }
    this.#lastOut += signed(raw - this.#lastRaw);
    this.#lastRaw = raw;
    return this.#lastOut;
  }

  #onPat(section: Uint8Array): void {
    const programs = parsePat(section);
    if (programs === undefined) return;
    const chosen = this.#programNumber === undefined
      ? programs[0]
      : programs.find((p) => p.programNumber === this.#programNumber);
    if (
      chosen === undefined || chosen.pmtPid === 0 || chosen.pmtPid === 0x1fff
    ) {
      return;
    }
    if (
      chosen.pmtPid === this.#pmtPid && chosen.programNumber === this.#program
    ) {
      return;
    }
    if (this.#pmtPid >= 0) this.#pids.delete(this.#pmtPid);
    this.#pmtPid = chosen.pmtPid;
    this.#program = chosen.programNumber;
    this.#pids.set(chosen.pmtPid, this.#psi((s) => this.#onPmt(s)));
  }

  #onPmt(section: Uint8Array): void {
    const pmt = parsePmt(section);
    if (pmt === undefined || pmt.programNumber !== this.#program) return;
    const signature = `${pmt.pcrPid};` +
      pmt.streams.map((s) =>
        `${s.pid}:${s.streamType}:${s.descriptors.join(",")}`
      )
        .join(";");
    if (signature === this.#signature) return;
    this.#signature = signature;
    this.#pcrPid = pmt.pcrPid === 0x1fff ? -1 : pmt.pcrPid;
    const next = buildStreams(
      pmt,
      this.#pids,
      this.#pmtPid,
      this.#maxPesBytes,
      (pid, streamType) =>
        this.#emit({ type: "unsupportedStream", pid, streamType }),
    );
    for (const [pid, state] of this.#pids) {
      if (state.type === "es" && next.get(pid) !== state) {
        this.#pids.delete(pid);
      }
    }
    for (const [pid, state] of next) this.#pids.set(pid, state);
    this.#streams = [...next.values()].map((s) => s.info);
    this.#emit({
      type: "programChanged",
      programNumber: this.#program,
      streams: this.#streams,
    });
  }
}
