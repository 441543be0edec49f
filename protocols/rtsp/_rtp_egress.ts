/**
 * RTP as a live egress format (the kernel's egress seam): one
 * {@linkcode RtpStreamFormat} per stream turns each frame into its complete
 * RTP packets once (`media/rtp` packetizers: one per track, so sequence
 * numbers, SSRC and timestamps are the stream's) and every RTSP player of
 * the stream sends the very same packet bytes.
 *
 * Data path: frame → `packetize` once (the kernel's `EgressCache` keeps the
 * {@linkcode RtpUnit} per frame) → UDP players send each packet as it is
 * from the shared socket; TCP players write the unit's interleaved bytes for
 * their channel (`$`, channel, length, packet), built once per channel
 * number and kept on the unit, so players with the usual channels (0/1,
 * 2/3) share those bytes too.
 *
 * Memory: the units of the frames the kernel retains (its ring and GOP
 * cache), plus at most one interleaved copy per distinct channel number.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { createPacketizer, type RtpPacketizer } from "../../media/rtp/mod.ts";
import { type ConfiguredMedia, mediaFromConfigs } from "../../media/sdp/mod.ts";
import type { EgressFormat } from "../../src/egress_cache.ts";

/** The packets of one frame of one track. */
export interface RtpUnit {
  /** Track index (its position in the DESCRIBE SDP). */
  readonly track: number;
  /** Complete RTP packets (shared, read-only). */
  readonly packets: readonly Uint8Array[];
  /** Interleaved bytes per channel, built on first use. */
  framed?: Map<number, Uint8Array>;
}

/** Packets built (once per stream) and sent (once per player), server-wide. */
export interface RtpCounters {
  /** RTP packets built by the streams' packetizers. */
  built: number;
  /** RTP packets handed to players' transports. */
  sent: number;
}

/** One described track and its packetizer. */
export interface RtpTrack {
  /** The SDP media section (with codec, payload type, clock rate). */
  readonly media: ConfiguredMedia;
  /** The stream's packetizer for this track. */
  readonly packetizer: RtpPacketizer;
  /** Engine-clock time of the last packetized frame (for sender reports). */
  lastAt: number;
}

/**
 * The interleaved bytes of a unit for `channel` (built once per channel).
 *
 * @param unit the frame's packets
 * @param channel the player's RTP channel of that track
 * @returns `$`-framed packets, joined
 */
export function framedOf(unit: RtpUnit, channel: number): Uint8Array {
  let framed = unit.framed?.get(channel);
  if (framed !== undefined) return framed;
  let size = 0;
  for (const p of unit.packets) size += 4 + p.length;
  framed = new Uint8Array(size);
  let at = 0;
  for (const p of unit.packets) {
    framed[at] = 0x24;
    framed[at + 1] = channel;
    framed[at + 2] = p.length >> 8;
    framed[at + 3] = p.length & 0xff;
    framed.set(p, at + 4);
    at += 4 + p.length;
  }
  (unit.framed ??= new Map()).set(channel, framed);
  return framed;
}

const EMPTY: readonly Uint8Array[] = [];

/** Codecs `mediaFromConfigs` can describe once their config arrives. */
const DESCRIBABLE = new Set(["h264", "h265", "aac", "opus"]);

/** The per-stream RTP serializer (see the module doc). */
export class RtpStreamFormat implements EgressFormat<RtpUnit> {
  readonly name = "rtp";
  #tracks: RtpTrack[] = [];
  #byKey = new Map<string, number>();
  #now: () => number;
  #counters: RtpCounters | undefined;
  #nextPt = 96;

  /**
   * @param configs the stream's config frames (`gopCache.configFrames()`)
   * @param now the engine clock
   * @param counters server-wide packet counters
   */
  constructor(
    configs: readonly MediaFrame[],
    now: () => number,
    counters?: RtpCounters,
  ) {
    this.#now = now;
    this.#counters = counters;
    this.refresh(configs);
  }

  /** The described tracks, in SDP order (tracks are only ever added). */
  get tracks(): readonly RtpTrack[] {
    return this.#tracks;
  }

  /**
   * Add the tracks of configs not described yet (an audio config often
   * comes before the video one): later DESCRIBEs list them; players already
   * set up are unaffected.
   *
   * @param configs the stream's config frames now
   */
  refresh(configs: readonly MediaFrame[]): void {
    const latest = new Map<string, MediaFrame>();
    for (const f of configs) {
      const key = `${f.kind}/${f.trackId}`;
      if (f.config && !this.#byKey.has(key)) latest.set(key, f);
    }
    if (latest.size === 0) return;
    const fresh = [...latest.values()];
    let media;
    try {
      media = mediaFromConfigs(fresh, { firstPayloadType: this.#nextPt });
    } catch {
      return; // a malformed config record: not described
    }
    for (const m of media) {
      const kind = m.type === "video" ? "video" : "audio";
      const key = `${kind}/${m.trackId}`;
      let packetizer: RtpPacketizer;
      try {
        packetizer = createPacketizer(m.codec, {
          payloadType: m.payloadType,
          clockRate: m.clockRate,
        });
      } catch {
        continue; // described but not packetizable
      }
      const config = latest.get(key);
      if (config !== undefined) packetizer.packetize(config); // remembered
      this.#nextPt = Math.max(this.#nextPt, m.payloadType + 1);
      this.#byKey.set(key, this.#tracks.length);
      this.#tracks.push({
        media: { ...m, control: `trackID=${this.#tracks.length}` },
        packetizer,
        lastAt: this.#now(),
      });
    }
  }

  /**
   * The track index of a frame, if the stream's SDP has it.
   *
   * @param frame a frame of the stream
   * @returns the index or undefined
   */
  trackOf(frame: MediaFrame): number | undefined {
    return this.#byKey.get(`${frame.kind}/${frame.trackId}`);
  }

  /**
   * The RTP packets of `frame` (config frames: none, remembered by the
   * packetizer), or null for a track the SDP does not carry.
   */
  serialize(frame: MediaFrame): RtpUnit | null {
    if (frame.kind === "data") return { track: -1, packets: EMPTY }; // script data: not sent
    const index = this.trackOf(frame);
    if (index === undefined) {
      // A describable codec whose config has not come yet: nothing to send
      // now (not "unsupported"); anything else cannot be carried.
      return DESCRIBABLE.has(frame.codec)
        ? { track: -1, packets: EMPTY }
        : null;
    }
    const track = this.#tracks[index]!;
    if (frame.codec !== track.media.codec) return null;
    const packets = track.packetizer.packetize(frame);
    if (this.#counters) this.#counters.built += packets.length;
    if (packets.length > 0) track.lastAt = this.#now();
    return { track: index, packets: packets.length > 0 ? packets : EMPTY };
  }
}
