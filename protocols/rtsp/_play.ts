/**
 * One RTSP player's egress (PLAY): the kernel's egress session yields the
 * stream's shared {@linkcode RtpUnit}s per batch; this sends them to the
 * player's transport and sends RTCP sender reports every
 * {@linkcode SENDER_REPORT_MS} per track.
 *
 * Data path: UDP — each shared packet is handed to the server's RTP socket
 * for the player's `client_port` (no copy); TCP — a batch of one frame is
 * the unit's interleaved bytes for the player's channel as they are (shared
 * by every player on that channel), a longer batch is joined into one write.
 * The write is awaited, so a player that does not read holds at most one
 * batch; the kernel resyncs or evicts it when it lags (the iteration ends).
 *
 * @module
 */
import type { EgressSession } from "../../src/egress.ts";
import type { Clock } from "../../src/clock.ts";
import type { TrackTransport } from "./_session.ts";
import {
  framedOf,
  type RtpCounters,
  type RtpStreamFormat,
  type RtpUnit,
} from "./_rtp_egress.ts";
import type { UdpPair } from "./_udp.ts";
import { buildSenderReport } from "../../media/rtp/mod.ts";

/** Sender report period per track, ms (RFC 3550 §6.2: ~5 s). */
export const SENDER_REPORT_MS = 5000;

/** What a player's egress needs from its connection. */
export interface PlayHost {
  /** Write bytes on the RTSP connection (serialized with replies). */
  write(bytes: Uint8Array): Promise<void>;
  /** The server's UDP pair (UDP players). */
  udp: UdpPair | undefined;
  /** The engine clock. */
  clock: Clock;
  /** Server-wide counters (packets sent). */
  counters?: RtpCounters;
}

/** First sequence number and RTP time per track (for RTP-Info). */
export interface FirstPacket {
  seq: number;
  rtptime: number;
}

/** One playing session's sender (see the module doc). */
export class PlayEgress {
  #session: EgressSession<readonly RtpUnit[]>;
  #format: RtpStreamFormat;
  #tracks: Map<number, TrackTransport>;
  #host: PlayHost;
  #replay: readonly RtpUnit[] | null;
  #stopTimer: (() => void) | undefined;
  #closed = false;
  /** Packets sent. */
  packets = 0;

  constructor(
    session: EgressSession<readonly RtpUnit[]>,
    format: RtpStreamFormat,
    tracks: Map<number, TrackTransport>,
    host: PlayHost,
  ) {
    this.#session = session;
    this.#format = format;
    this.#tracks = tracks;
    this.#host = host;
    this.#replay = session.takeReplay();
  }

  /** The first packet of each set-up track in the replay (RTP-Info). */
  firstPackets(): Map<number, FirstPacket> {
    const out = new Map<number, FirstPacket>();
    for (const unit of this.#replay ?? []) {
      if (out.has(unit.track) || !this.#tracks.has(unit.track)) continue;
      const p = unit.packets[0];
      if (p === undefined) continue;
      out.set(unit.track, {
        seq: (p[2]! << 8) | p[3]!,
        rtptime: ((p[4]! << 24) | (p[5]! << 16) | (p[6]! << 8) | p[7]!) >>> 0,
      });
    }
    return out;
  }

  /**
   * Send the replay, then every batch until the stream ends, the player is
   * evicted or `close()` is called.
   */
  async run(): Promise<void> {
    this.#scheduleReport();
    try {
      const replay = this.#replay;
      this.#replay = null;
      if (replay !== null) await this.#send(replay);
      for await (const batch of this.#session) {
        if (this.#closed) break;
        await this.#send(batch);
      }
    } finally {
      this.close();
    }
  }

  /** Stop sending (PAUSE, TEARDOWN, connection closed). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimer?.();
    this.#session.close("rtsp player stopped");
  }

  async #send(units: readonly RtpUnit[]): Promise<void> {
    let tcp: Uint8Array[] | undefined;
    for (const unit of units) {
      if (unit.packets.length === 0) continue;
      const t = this.#tracks.get(unit.track);
      if (t === undefined) continue;
      this.packets += unit.packets.length;
      if (this.#host.counters) this.#host.counters.sent += unit.packets.length;
      if (t.channel !== undefined) {
        (tcp ??= []).push(framedOf(unit, t.channel));
      } else if (t.udp !== undefined && this.#host.udp !== undefined) {
        for (const p of unit.packets) {
          this.#host.udp.send(0, p, t.udp.host, t.udp.rtpPort);
        }
      }
    }
    if (tcp === undefined) return;
    await this.#host.write(tcp.length === 1 ? tcp[0]! : join(tcp));
  }

  #scheduleReport(): void {
    if (this.#closed) return;
    this.#stopTimer = this.#host.clock.setTimer(SENDER_REPORT_MS, () => {
      this.#report();
      this.#scheduleReport();
    });
  }

  #report(): void {
    const now = this.#host.clock.now();
    const wall = Date.now();
    for (const [index, t] of this.#tracks) {
      const track = this.#format.tracks[index];
      if (track === undefined || track.packetizer.stats.packets === 0) continue;
      const p = track.packetizer;
      const rtpTime = (p.lastTimestamp +
        Math.round((now - track.lastAt) * p.clockRate / 1000)) >>> 0;
      const sr = buildSenderReport({
        ssrc: p.ssrc,
        unixMs: wall,
        rtpTimestamp: rtpTime,
        packetCount: p.stats.packets,
        octetCount: p.stats.octets,
        cname: "arcly-stream",
      });
      if (t.channel !== undefined) {
        const framed = new Uint8Array(4 + sr.length);
        framed.set([0x24, t.channel + 1, sr.length >> 8, sr.length & 0xff]);
        framed.set(sr, 4);
        this.#host.write(framed).catch(() => {});
      } else if (t.udp !== undefined) {
        this.#host.udp?.send(1, sr, t.udp.host, t.udp.rtcpPort);
      }
    }
  }
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
