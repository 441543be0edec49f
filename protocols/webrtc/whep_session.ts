/**
 * One WHEP viewer: a werift peer connection (ICE on the shared UDP port,
 * DTLS server) fed by its stream's {@linkcode StreamRtpFeed}.
 *
 * Data path: the feed hands the shared RTP packets; this session only
 * SRTP-protects and sends them (payload type rewritten to the negotiated
 * one): with AES_CM_128_HMAC_SHA1_80 (preferred in the answer) through our
 * batch transform straight to the shared socket, otherwise through werift
 * (see `_srtp_send.ts`). Until DTLS is up, delivered packets are dropped except the latest
 * keyframe run, which is replayed once connected (first picture at once).
 * NACKs are answered from the feed's per-stream history; PLIs are counted
 * (a relayed source cannot produce a keyframe on demand) and forwarded to
 * `onKeyframeRequest`.
 *
 * Liveness: the session ends when ICE/DTLS fail, when no RTCP arrived for
 * `rtcpTimeoutMs` after connecting, or when ICE does not connect within
 * `connectTimeoutMs` (the deadline that frees never-completed offers).
 *
 * @module
 */
import type { Clock } from "../../src/mod.ts";
import type { FeedPacket, FeedViewer, StreamRtpFeed } from "./stream_feed.ts";
import type { Peer } from "./_werift_peer.ts";
import {
  type BatchSender,
  directSender,
  sendShared,
  type SrtpSender,
} from "./_srtp_send.ts";
import type { NativeSrtp } from "./_native_srtp.ts";

/** Options of a {@linkcode WhepSession}. */
export interface WhepSessionOptions {
  id: string;
  pc: Peer;
  feed: StreamRtpFeed;
  clock: Clock;
  /** Negotiated payload types per kind (absent: that track is not sent). */
  payloadTypes: { video?: number; audio?: number };
  connectTimeoutMs: number;
  rtcpTimeoutMs: number;
  onClose: (session: WhepSession, reason: string) => void;
  onKeyframeRequest?: () => void;
  /** The handler's libcrypto for the SRTP transform (absent: the JS transform). */
  nativeSrtp?: NativeSrtp | undefined;
}

/** Counters of one WHEP viewer. */
export interface WhepSessionStats {
  packetsSent: number;
  packetsDroppedBeforeConnect: number;
  nacks: number;
  retransmitted: number;
  /** NACKed packets not resent: over the per-viewer retransmission budget. */
  retransmitsLimited: number;
  plis: number;
  /** 1 when packets go through our SRTP transform, 0 through werift's. */
  srtpDirect: number;
  /** 1 when our SRTP transform runs in the system's libcrypto. */
  srtpNative: number;
}

/** Retransmissions per viewer per second, at most. */
const RETX_PER_SECOND = 200;
/** The same packet is not resent to a viewer within this, ms. */
const RETX_REPEAT_MS = 100;

interface RtcpLike {
  type: number;
  feedback?: { lost?: number[]; mediaSourceSsrc?: number; count?: number };
}

/** A WHEP viewer session. */
export class WhepSession implements FeedViewer {
  readonly id: string;
  readonly stats: WhepSessionStats = {
    packetsSent: 0,
    packetsDroppedBeforeConnect: 0,
    nacks: 0,
    retransmitted: 0,
    retransmitsLimited: 0,
    plis: 0,
    srtpDirect: 0,
    srtpNative: 0,
  };
  readonly #o: WhepSessionOptions;
  #dtls: SrtpSender | undefined;
  #direct: BatchSender | undefined;
  #closed = false;
  #lastRtcpAt = 0;
  #cancelTimer: (() => void) | undefined;
  #connectedAt: number | undefined;
  #retxTokens = RETX_PER_SECOND;
  #retxRefilledAt = 0;
  readonly #retxAt = new WeakMap<Uint8Array, number>();
  /** Clock time when the session was created. */
  readonly createdAt: number;

  constructor(options: WhepSessionOptions) {
    this.#o = options;
    this.id = options.id;
    this.createdAt = options.clock.now();
    const pc = options.pc;
    pc.connectionStateChange.subscribe((state: string) => {
      if (state === "connected") this.#connected();
      else if (state === "failed" || state === "closed") {
        this.close(`peer connection ${state}`);
      }
    });
    this.#arm(options.connectTimeoutMs, () => {
      if (this.#connectedAt === undefined) {
        this.close("ICE/DTLS did not complete in time");
      }
    });
  }

  /** True once DTLS is connected. */
  get connected(): boolean {
    return this.#connectedAt !== undefined;
  }
  /** Closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #arm(ms: number, fn: () => void): void {
    this.#cancelTimer?.();
    this.#cancelTimer = this.#o.clock.setTimer(ms, fn);
  }

  #connected(): void {
    if (this.#closed || this.#connectedAt !== undefined) return;
    const t = this.#o.pc.getTransceivers()[0];
    const dtls = t?.dtlsTransport as unknown as
      | SrtpSender & {
        onRtcp: { subscribe(fn: (p: RtcpLike) => void): unknown };
      }
      | undefined;
    if (!dtls) {
      this.close("no DTLS transport");
      return;
    }
    this.#dtls = dtls;
    this.#direct = directSender(dtls, this.#o.nativeSrtp);
    this.stats.srtpDirect = this.#direct ? 1 : 0;
    this.stats.srtpNative = this.#direct?.native ? 1 : 0;
    this.#connectedAt = this.#o.clock.now();
    this.#lastRtcpAt = this.#connectedAt;
    dtls.onRtcp.subscribe((p) => this.#rtcp(p));
    const check = () => {
      if (this.#closed) return;
      if (this.#o.clock.now() - this.#lastRtcpAt > this.#o.rtcpTimeoutMs) {
        this.close(`no RTCP for ${this.#o.rtcpTimeoutMs} ms`);
        return;
      }
      this.#arm(Math.min(1000, this.#o.rtcpTimeoutMs), check);
    };
    this.#arm(Math.min(1000, this.#o.rtcpTimeoutMs), check);
    this.#o.feed.attach(this);
  }

  #rtcp(p: RtcpLike): void {
    this.#lastRtcpAt = this.#o.clock.now();
    if (p.type === 205 && p.feedback?.lost) {
      this.stats.nacks++;
      const ssrc = p.feedback.mediaSourceSsrc;
      const kind = ssrc === this.#o.feed.ssrc("audio") ? "audio" : "video";
      const now = this.#o.clock.now();
      // Token bucket: at most RETX_PER_SECOND retransmissions per viewer
      // (a receiver that cannot keep up would otherwise NACK everything
      // and amplify its own overload), never the same packet twice within
      // RETX_REPEAT_MS.
      this.#retxTokens = Math.min(
        RETX_PER_SECOND,
        this.#retxTokens +
          ((now - this.#retxRefilledAt) * RETX_PER_SECOND) / 1000,
      );
      this.#retxRefilledAt = now;
      for (const seq of p.feedback.lost.slice(0, 64)) {
        const packet = this.#o.feed.historic(kind, seq);
        if (!packet) continue;
        const last = this.#retxAt.get(packet.bytes);
        if (last !== undefined && now - last < RETX_REPEAT_MS) continue;
        if (this.#retxTokens < 1) {
          this.stats.retransmitsLimited++;
          continue;
        }
        this.#retxTokens--;
        this.#retxAt.set(packet.bytes, now);
        this.#send(packet);
        this.stats.retransmitted++;
      }
    } else if (p.type === 206 && p.feedback?.count === 1) {
      this.stats.plis++;
      this.#o.onKeyframeRequest?.();
    }
  }

  #send(packet: FeedPacket): void {
    const pt = this.#o.payloadTypes[packet.kind];
    if (pt === undefined || !this.#dtls) return;
    if (this.#direct) this.#direct.send([packet.bytes], [pt]);
    else sendShared(this.#dtls, packet.bytes, pt);
    this.stats.packetsSent++;
  }

  /** From the feed: shared packets, in order. */
  deliver(packets: readonly FeedPacket[]): void {
    if (this.#closed) return;
    if (!this.#dtls) {
      this.stats.packetsDroppedBeforeConnect += packets.length;
      return;
    }
    if (!this.#direct) {
      for (const p of packets) this.#send(p);
      return;
    }
    // One batch per delivery (a frame's packets): one keystream pass.
    const bytes: Uint8Array[] = [];
    const pts: number[] = [];
    for (const p of packets) {
      const pt = this.#o.payloadTypes[p.kind];
      if (pt === undefined) continue;
      bytes.push(p.bytes);
      pts.push(pt);
    }
    if (bytes.length === 0) return;
    this.#direct.send(bytes, pts);
    this.stats.packetsSent += bytes.length;
  }

  /** From the feed: the stream ended. */
  ended(reason: string): void {
    this.close(`stream ended: ${reason}`);
  }

  /** End the session (idempotent). */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTimer?.();
    this.#direct?.dispose();
    this.#o.feed.detach(this);
    void this.#o.pc.close().catch(() => {});
    this.#o.onClose(this, reason);
  }
}
