/**
 * {@linkcode StreamRtpFeed}: the WHEP egress of one stream, shared by all
 * of its WebRTC viewers.
 *
 * Data path: one resilient subscription per stream reads each
 * `MediaFrame` as it is published (no batching tick: RTP is paced as frames
 * arrive). Each frame is packetized ONCE by the per-stream media/rtp
 * packetizer (one SSRC and one sequence space per track), and the resulting
 * RTP packets — the same `Uint8Array`s — are handed to every viewer, whose
 * only per-packet work is SRTP and the send. A new viewer starts with the
 * packets since the last video keyframe (kept as packets, so its first
 * picture needs no wait for the next keyframe) and then follows live.
 *
 * Time slicing: handing a frame's packets to hundreds of viewers (SRTP and
 * send each) is one long synchronous run; so the fan-out yields to the
 * event loop (`setImmediate`) every `sliceMs` (default 4 ms) of it, and
 * STUN answers, DTLS handshakes and WHEP POSTs get their turns in between.
 * The next frames wait in the subscription meanwhile (order kept: a frame
 * reaches every viewer before the next frame is packetized); a viewer
 * attached during a slice gets the frame in its keyframe run, not twice.
 *
 * Memory bounds: the keyframe run is capped at `maxGopBytes` (past it the
 * run is dropped and new viewers wait for the next keyframe); the NACK
 * history is a ring of `historyPackets` packets per track; frames not yet
 * fanned out are bounded by the subscription's own queue.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { MediaFrame } from "../../media/frame.ts";
import type { StreamHandle, Subscription } from "../../src/mod.ts";
import { createRtpPacketizer, type FeedPacketizer } from "./_payload.ts";

/** Per-track payload types of the shared packets (viewers rewrite at SRTP time). */
export const FEED_PAYLOAD_TYPE = { video: 96, audio: 111 } as const;

/** One shared RTP packet and its track. */
export interface FeedPacket {
  readonly kind: "video" | "audio";
  readonly bytes: Uint8Array;
  readonly sequenceNumber: number;
}

/** A viewer of a feed. */
export interface FeedViewer {
  /** Called with packets in send order (shared bytes: never mutate). */
  deliver(packets: readonly FeedPacket[]): void;
  /** Called when the stream ended. */
  ended(reason: string): void;
}

/** Options of {@linkcode StreamRtpFeed}. */
export interface StreamRtpFeedOptions {
  /** Packets kept per track for NACK answers (default 1024). */
  historyPackets?: number;
  /** Largest keyframe run kept for new viewers, bytes (default 8 MiB). */
  maxGopBytes?: number;
  /**
   * The fan-out of one frame yields to the event loop after this much
   * synchronous delivery, ms (default 4; 0 or less: never yields).
   */
  sliceMs?: number;
}

/** One event-loop turn: timers, I/O callbacks (UDP, HTTP) run first. */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

/** What a feed can send, decided from the stream's cached frames. */
export interface FeedCodecs {
  video?: "h264";
  audio?: "opus";
  /** The stream's video has composition offsets (B-frames). */
  bFrames: boolean;
  /** Codecs present that WebRTC egress cannot send (e.g. "aac", "h265"). */
  unsupported: string[];
}

/** Which codecs of a stream WHEP can send, from its GOP cache. */
export function feedCodecs(frames: readonly MediaFrame[]): FeedCodecs {
  const out: FeedCodecs = { bFrames: false, unsupported: [] };
  for (const f of frames) {
    if (f.kind === "video") {
      if (f.codec === "h264") out.video = "h264";
      else if (!out.unsupported.includes(f.codec)) {
        out.unsupported.push(f.codec);
      }
      if (!f.config && f.pts !== f.dts) out.bFrames = true;
    } else if (f.kind === "audio") {
      if (f.codec === "opus") out.audio = "opus";
      else if (!out.unsupported.includes(f.codec)) {
        out.unsupported.push(f.codec);
      }
    }
  }
  return out;
}

/**
 * The shared RTP egress of one stream (see the module doc).
 */
export class StreamRtpFeed {
  readonly #handle: StreamHandle;
  readonly #sub: Subscription;
  readonly #viewers = new Set<FeedViewer>();
  readonly #packetizers: { video?: FeedPacketizer; audio?: FeedPacketizer } =
    {};
  readonly #history: {
    video: (FeedPacket | undefined)[];
    audio: (FeedPacket | undefined)[];
  };
  readonly #historySize: number;
  readonly #maxGopBytes: number;
  readonly #sliceMs: number;
  #gop: FeedPacket[] = [];
  #gopBytes = 0;
  #gopValid = false;
  #closed = false;
  /**
   * Frames packetized, packets built (once each, whatever the viewer
   * count), and the times a fan-out yielded to the event loop.
   */
  readonly stats = { frames: 0, packets: 0, droppedFrames: 0, yields: 0 };
  /** Resolves when the feed stopped (stream ended or closed). */
  readonly done: Promise<void>;

  constructor(handle: StreamHandle, options: StreamRtpFeedOptions = {}) {
    this.#handle = handle;
    this.#historySize = options.historyPackets ?? 1024;
    this.#maxGopBytes = options.maxGopBytes ?? 8 << 20;
    this.#sliceMs = options.sliceMs ?? 4;
    this.#history = {
      video: new Array(this.#historySize),
      audio: new Array(this.#historySize),
    };
    this.#sub = handle.subscribeResilient({ replay: true });
    this.done = this.#run();
  }

  /** The stream key. */
  get key(): string {
    return this.#handle.key.toString();
  }
  /** Viewers attached. */
  get viewerCount(): number {
    return this.#viewers.size;
  }
  /** SSRC of a track's packets (fixed for the feed's life). */
  ssrc(kind: "video" | "audio"): number | undefined {
    return this.#packetizers[kind]?.ssrc;
  }

  /** Create the track's packetizer now (so its SSRC can go into an answer). */
  prepare(kind: "video" | "audio", codec: "h264" | "opus"): number {
    const existing = this.#packetizers[kind];
    if (existing) return existing.ssrc;
    const p = createRtpPacketizer(codec, FEED_PAYLOAD_TYPE[kind]);
    this.#packetizers[kind] = p;
    return p.ssrc;
  }

  /** Attach a viewer: it gets the current keyframe run at once, then live packets. */
  attach(viewer: FeedViewer): void {
    if (this.#closed) {
      viewer.ended("stream ended");
      return;
    }
    this.#viewers.add(viewer);
    if (this.#gopValid && this.#gop.length > 0) {
      viewer.deliver(this.#gop.slice());
    }
  }

  /** Detach a viewer. */
  detach(viewer: FeedViewer): void {
    this.#viewers.delete(viewer);
  }

  /** A packet still in the NACK history, or undefined. */
  historic(
    kind: "video" | "audio",
    sequenceNumber: number,
  ): FeedPacket | undefined {
    const p = this.#history[kind][sequenceNumber % this.#historySize];
    return p && p.sequenceNumber === sequenceNumber ? p : undefined;
  }

  /** Stop the feed (its subscription) and tell the viewers. */
  close(reason = "closed"): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sub.close(reason);
    for (const v of this.#viewers) v.ended(reason);
    this.#viewers.clear();
  }

  async #run(): Promise<void> {
    try {
      while (!this.#closed) {
        await this.#sub.ready();
        let frames: MediaFrame[];
        try {
          frames = this.#sub.takeAll();
        } catch {
          continue; // resynced at a keyframe: the next takeAll starts there
        }
        if (frames.length === 0) {
          if (this.#sub.isClosed) break;
          continue;
        }
        const out: FeedPacket[] = [];
        for (const frame of frames) this.#packetize(frame, out);
        if (out.length > 0) await this.#fanOut(out);
      }
    } finally {
      const reason = this.#handle.endReason ?? "stream ended";
      this.close(typeof reason === "string" ? reason : "stream ended");
    }
  }

  /** Every viewer gets `out`, in slices of `sliceMs` (see the module doc). */
  async #fanOut(out: FeedPacket[]): Promise<void> {
    if (this.#sliceMs <= 0 || this.#viewers.size < 2) {
      for (const v of this.#viewers) v.deliver(out);
      return;
    }
    // A snapshot: viewers attached while this yields got `out` with their
    // keyframe run; detached ones are skipped.
    const viewers = [...this.#viewers];
    let sliceStart = performance.now();
    for (let i = 0; i < viewers.length; i++) {
      const v = viewers[i]!;
      if (this.#viewers.has(v)) v.deliver(out);
      if (
        i + 1 < viewers.length &&
        performance.now() - sliceStart >= this.#sliceMs
      ) {
        this.stats.yields++;
        await nextTurn();
        if (this.#closed) return;
        sliceStart = performance.now();
      }
    }
  }

  #packetize(frame: MediaFrame, out: FeedPacket[]): void {
    if (frame.kind !== "video" && frame.kind !== "audio") return;
    const kind = frame.kind;
    let packetizer = this.#packetizers[kind];
    if (!packetizer) {
      const codec = kind === "video"
        ? (frame.codec === "h264" ? "h264" : undefined)
        : (frame.codec === "opus" ? "opus" : undefined);
      if (!codec) return;
      packetizer = this.#packetizers[kind] = createRtpPacketizer(
        codec,
        FEED_PAYLOAD_TYPE[kind],
      );
    }
    if (packetizer.codec !== frame.codec) return;
    let packets: Uint8Array[];
    try {
      packets = packetizer.packetize(frame);
    } catch {
      this.stats.droppedFrames++;
      return;
    }
    if (frame.config) return;
    this.stats.frames++;
    if (kind === "video" && frame.keyframe) {
      this.#gop = [];
      this.#gopBytes = 0;
      this.#gopValid = true;
    }
    const history = this.#history[kind];
    for (const bytes of packets) {
      const sequenceNumber = (bytes[2]! << 8) | bytes[3]!;
      const packet: FeedPacket = { kind, bytes, sequenceNumber };
      history[sequenceNumber % this.#historySize] = packet;
      out.push(packet);
      this.stats.packets++;
      if (this.#gopValid) {
        this.#gop.push(packet);
        this.#gopBytes += bytes.length;
      }
    }
    if (this.#gopBytes > this.#maxGopBytes) {
      this.#gop = [];
      this.#gopBytes = 0;
      this.#gopValid = false;
    }
  }
}
