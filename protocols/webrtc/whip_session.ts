/**
 * One WHIP publisher: a werift peer connection (ICE on the shared UDP port,
 * DTLS server) whose received RTP is depacketized by media/rtp into
 * `MediaFrame`s and published into the stream.
 *
 * Data path: werift decrypts SRTP and hands each RTP packet (its payload a
 * view of the decrypted datagram); the header fields are copied into a
 * media/rtp `RtpPacket` (no payload copy), the track's depacketizer
 * (one per negotiated codec) assembles frames, and each frame is published
 * once (`publishFrame`, O(1)). werift's receiver sends the NACKs for lost
 * packets; a PLI is sent to the publisher at most once per
 * `pliIntervalMs` when a keyframe is wanted (a new session, a
 * depacketizer drop).
 *
 * Liveness: the session (and the stream) ends when ICE/DTLS fail, when ICE
 * does not connect within `connectTimeoutMs`, or when no RTP arrived for
 * `mediaTimeoutMs`.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import type { RtpDepacketizer } from "../../media/rtp/mod.ts";
import type { Clock, StreamHandle } from "../../src/mod.ts";
import type { SdpCodec } from "./sdp_offer.ts";
import type { Peer } from "./_werift_peer.ts";
import { createSdpDepacketizer } from "./_payload.ts";

/** Options of a {@linkcode WhipSession}. */
export interface WhipSessionOptions {
  id: string;
  pc: Peer;
  handle: StreamHandle;
  clock: Clock;
  /** Accepted codecs by payload type. */
  codecs: Map<number, SdpCodec>;
  connectTimeoutMs: number;
  mediaTimeoutMs: number;
  pliIntervalMs?: number;
  onClose: (session: WhipSession, reason: string) => void;
}

/** Counters of one WHIP publisher. */
export interface WhipSessionStats {
  packets: number;
  frames: number;
  plis: number;
  unknownPayloadType: number;
  depacketizerErrors: number;
}

interface WeriftRtp {
  header: {
    marker: boolean;
    payloadType: number;
    sequenceNumber: number;
    timestamp: number;
    ssrc: number;
  };
  payload: Uint8Array;
}

interface WeriftTrack {
  kind: string;
  ssrc?: number;
  onReceiveRtp: { subscribe(fn: (rtp: WeriftRtp) => void): unknown };
}

/** A WHIP publisher session. */
export class WhipSession {
  readonly id: string;
  readonly stats: WhipSessionStats = {
    packets: 0,
    frames: 0,
    plis: 0,
    unknownPayloadType: 0,
    depacketizerErrors: 0,
  };
  readonly #o: WhipSessionOptions;
  readonly #depacketizers = new Map<number, RtpDepacketizer>();
  readonly #trackIds = new Map<string, number>();
  #closed = false;
  #connected = false;
  #lastRtpAt = 0;
  #lastPliAt = -Infinity;
  #cancelTimer: (() => void) | undefined;
  #videoSsrc: number | undefined;

  constructor(options: WhipSessionOptions) {
    this.#o = options;
    this.id = options.id;
    const pc = options.pc;
    pc.connectionStateChange.subscribe((state: string) => {
      if (state === "connected") this.#onConnected();
      else if (state === "failed" || state === "closed") {
        this.close(`peer connection ${state}`);
      }
    });
    // werift creates the remote tracks during setRemoteDescription (before
    // this session exists): take those, and any added later.
    const seen = new Set<unknown>();
    const take = (track: unknown) => {
      if (seen.has(track)) return;
      seen.add(track);
      this.#onTrack(track as WeriftTrack);
    };
    for (const t of pc.getTransceivers()) {
      for (const track of t.receiver.tracks) take(track);
    }
    pc.onTrack.subscribe(take);
    this.#arm(options.connectTimeoutMs, () => {
      if (!this.#connected) this.close("ICE/DTLS did not complete in time");
    });
  }

  /** The stream being published. */
  get handle(): StreamHandle {
    return this.#o.handle;
  }
  /** True once DTLS is connected. */
  get connected(): boolean {
    return this.#connected;
  }
  /** Closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #arm(ms: number, fn: () => void): void {
    this.#cancelTimer?.();
    this.#cancelTimer = this.#o.clock.setTimer(ms, fn);
  }

  #onConnected(): void {
    if (this.#closed || this.#connected) return;
    this.#connected = true;
    this.#lastRtpAt = this.#o.clock.now();
    const check = () => {
      if (this.#closed) return;
      if (this.#o.clock.now() - this.#lastRtpAt > this.#o.mediaTimeoutMs) {
        this.close(`no RTP for ${this.#o.mediaTimeoutMs} ms`);
        return;
      }
      this.#arm(Math.min(1000, this.#o.mediaTimeoutMs), check);
    };
    this.#arm(Math.min(1000, this.#o.mediaTimeoutMs), check);
  }

  #onTrack(track: WeriftTrack): void {
    track.onReceiveRtp.subscribe((rtp) => this.#onRtp(track, rtp));
  }

  /** Ask the publisher for a keyframe (rate-limited). */
  requestKeyframe(): void {
    const now = this.#o.clock.now();
    if (this.#videoSsrc === undefined) return;
    if (now - this.#lastPliAt < (this.#o.pliIntervalMs ?? 1000)) return;
    this.#lastPliAt = now;
    this.stats.plis++;
    for (const t of this.#o.pc.getTransceivers()) {
      if (t.kind === "video") {
        void t.receiver.sendRtcpPLI(this.#videoSsrc).catch?.(() => {});
      }
    }
  }

  #onRtp(track: WeriftTrack, rtp: WeriftRtp): void {
    if (this.#closed) return;
    this.stats.packets++;
    this.#lastRtpAt = this.#o.clock.now();
    const h = rtp.header;
    const codec = this.#o.codecs.get(h.payloadType);
    if (!codec) {
      this.stats.unknownPayloadType++;
      return;
    }
    if (track.kind === "video" && this.#videoSsrc === undefined) {
      this.#videoSsrc = h.ssrc;
      this.requestKeyframe();
    }
    let d = this.#depacketizers.get(h.payloadType);
    if (!d) {
      d = createSdpDepacketizer(codec);
      this.#depacketizers.set(h.payloadType, d);
    }
    let frames: MediaFrame[];
    const dropped = d.stats.droppedFrames;
    try {
      frames = d.push({
        marker: h.marker,
        payloadType: h.payloadType,
        sequenceNumber: h.sequenceNumber,
        timestamp: h.timestamp,
        ssrc: h.ssrc,
        csrcs: [],
        payload: rtp.payload,
      });
    } catch {
      this.stats.depacketizerErrors++;
      this.requestKeyframe();
      return;
    }
    if (d.stats.droppedFrames > dropped && track.kind === "video") {
      this.requestKeyframe();
    }
    for (const frame of frames) {
      const tid = this.#trackIds.get(frame.kind) ?? 0;
      const out = frame.trackId === tid ? frame : { ...frame, trackId: tid };
      try {
        this.#o.handle.publishFrame(out);
        this.stats.frames++;
      } catch {
        this.close("stream closed");
        return;
      }
    }
  }

  /** End the session and the stream (idempotent). */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTimer?.();
    void this.#o.pc.close().catch(() => {});
    this.#o.onClose(this, reason);
  }
}
