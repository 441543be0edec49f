/**
 * Media sections from a stream's codec config frames
 * ({@linkcode mediaFromConfigs}, for RTSP DESCRIBE and WebRTC offers/answers)
 * and the depacketizer format of a received payload type
 * ({@linkcode rtpFormatOf}).
 *
 * @module
 */
import type { CodecId, MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { parseAvcDecoderConfig } from "../codec/avc_decoder_config.ts";
import { parseHevcDecoderConfig } from "../codec/hevc_decoder_config.ts";
import { parseAudioSpecificConfig } from "../codec/aac_config.ts";
import { parseOpusHead } from "../codec/opus_head.ts";
import type { RtpFormat } from "../rtp/types.ts";
import type { SdpMedia, SdpRtpMap } from "./sdp.ts";

/**
 * A media section built for one track, with what its packetizer needs.
 *
 * @example
 * ```ts
 * import type { ConfiguredMedia } from "@arcly/stream/sdp";
 * const pick = (m: ConfiguredMedia) => [m.codec, m.payloadType, m.clockRate];
 * ```
 */
export interface ConfiguredMedia extends SdpMedia {
  /** The track's codec (pass to `createPacketizer`). */
  codec: CodecId;
  /** The track's `trackId`. */
  trackId: number;
  /** The payload type in `formats`. */
  payloadType: number;
  /** The RTP clock rate (pass to `createPacketizer`). */
  clockRate: number;
}

/**
 * Options of {@linkcode mediaFromConfigs}.
 *
 * @example
 * ```ts
 * import type { MediaFromConfigsOptions } from "@arcly/stream/sdp";
 * const options: MediaFromConfigsOptions = { firstPayloadType: 96, protocol: "RTP/AVP" };
 * ```
 */
export interface MediaFromConfigsOptions {
  /** Payload type of the first section, incremented per section; default 96. */
  firstPayloadType?: number;
  /** Transport written in `m=`; default "RTP/AVP". */
  protocol?: string;
  /** `a=control` of section `index`; default `trackID=<index>`. */
  control?: (index: number) => string;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Section {
  type: string;
  map: SdpRtpMap;
  fmtp: Record<string, string>;
}

function section(frame: MediaFrame): Section | undefined {
  switch (frame.codec) {
    case "h264": {
      const avcC = parseAvcDecoderConfig(frame.data);
      const sps = avcC.sps[0];
      if (sps === undefined || sps.length < 4) return undefined;
      return {
        type: "video",
        map: { encodingName: "H264", clockRate: 90000 },
        fmtp: {
          "packetization-mode": "1",
          "profile-level-id": hex(sps.subarray(1, 4)),
          "sprop-parameter-sets": [...avcC.sps, ...avcC.pps].map(base64).join(
            ",",
          ),
        },
      };
    }
    case "h265": {
      const hvcC = parseHevcDecoderConfig(frame.data);
      const sets = (type: number) =>
        hvcC.arrays.filter((a) => a.nalType === type).flatMap((a) => a.nalus)
          .map(base64).join(",");
      return {
        type: "video",
        map: { encodingName: "H265", clockRate: 90000 },
        fmtp: {
          "sprop-vps": sets(32),
          "sprop-sps": sets(33),
          "sprop-pps": sets(34),
        },
      };
    }
    case "aac": {
      const asc = parseAudioSpecificConfig(frame.data);
      const map: SdpRtpMap = {
        encodingName: "MPEG4-GENERIC",
        clockRate: asc.sampleRate,
      };
      if (asc.channels > 0) map.channels = asc.channels;
      return {
        type: "audio",
        map,
        fmtp: {
          streamtype: "5",
          "profile-level-id": "1",
          mode: "AAC-hbr",
          sizelength: "13",
          indexlength: "3",
          indexdeltalength: "3",
          config: hex(frame.data),
        },
      };
    }
    case "opus": {
      const head = parseOpusHead(frame.data);
      return {
        type: "audio",
        map: { encodingName: "opus", clockRate: 48000, channels: 2 },
        fmtp: head.channels >= 2 ? { "sprop-stereo": "1" } : {},
      };
    }
    case "vp9":
      return {
        type: "video",
        map: { encodingName: "VP9", clockRate: 90000 },
        fmtp: {},
      };
    case "av1":
      return {
        type: "video",
        map: { encodingName: "AV1", clockRate: 90000 },
        fmtp: {},
      };
    default:
      return undefined;
  }
}

/**
 * Media sections for the codec config frames of a stream (one per track, in
 * order; later configs of the same track replace earlier ones). H.264:
 * `packetization-mode=1;profile-level-id;sprop-parameter-sets`; H.265:
 * `sprop-vps/sps/pps`; AAC: mpeg4-generic AAC-hbr with `config=<hex ASC>`;
 * Opus: `opus/48000/2`; VP9 and AV1: `VP9/90000`, `AV1/90000`. Other codecs
 * are skipped.
 *
 * @param configs config frames (`config: true`); others are ignored
 * @param options payload types, transport and control URLs
 * @returns the sections, ready for `buildSdp`
 * @throws {StreamError} `InvalidInput` when a config record is malformed
 *
 * @example RTSP DESCRIBE for AAC
 * ```ts
 * import { buildSdp, mediaFromConfigs } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 *
 * const media = mediaFromConfigs([{
 *   kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: true, data: new Uint8Array([0x11, 0x90]),
 * }]);
 * assert.equal(media[0]!.clockRate, 48000);
 * const sdp = buildSdp({ sessionName: "live/cam", media });
 * assert.ok(sdp.includes("a=rtpmap:96 MPEG4-GENERIC/48000/2"));
 * assert.ok(sdp.includes("config=1190"));
 * ```
 */
export function mediaFromConfigs(
  configs: readonly MediaFrame[],
  options: MediaFromConfigsOptions = {},
): ConfiguredMedia[] {
  const latest = new Map<string, MediaFrame>();
  for (const frame of configs) {
    if (frame.config) latest.set(`${frame.kind}/${frame.trackId}`, frame);
  }
  const out: ConfiguredMedia[] = [];
  let pt = options.firstPayloadType ?? 96;
  for (const frame of latest.values()) {
    let s: Section | undefined;
    try {
      s = section(frame);
    } catch (error) {
      if (error instanceof StreamError) throw error;
      throw new StreamError(
        "InvalidInput",
        `Cannot describe ${frame.codec} track: ${String(error)}`,
        { cause: error },
      );
    }
    if (s === undefined) continue;
    const index = out.length;
    out.push({
      type: s.type,
      port: 0,
      protocol: options.protocol ?? "RTP/AVP",
      formats: [pt],
      rtpmap: new Map([[pt, s.map]]),
      fmtp: new Map([[pt, s.fmtp]]),
      control: options.control?.(index) ?? `trackID=${index}`,
      attributes: [],
      codec: frame.codec,
      trackId: frame.trackId,
      payloadType: pt,
      clockRate: s.map.clockRate,
    });
    pt++;
  }
  return out;
}

const STATIC: ReadonlyMap<number, SdpRtpMap> = new Map([
  [0, { encodingName: "PCMU", clockRate: 8000, channels: 1 }],
  [8, { encodingName: "PCMA", clockRate: 8000, channels: 1 }],
]);

/**
 * The depacketizer format of payload type `payloadType` of a media section
 * (its `rtpmap` and `fmtp`, or the static RFC 3551 mapping for 0 PCMU and
 * 8 PCMA).
 *
 * @param media the section
 * @param payloadType the payload type; default the first in `formats`
 * @returns the format, or undefined without an rtpmap
 *
 * @example
 * ```ts
 * import { parseSdp, rtpFormatOf } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 *
 * const sdp = parseSdp("v=0\r\nm=audio 0 RTP/AVP 0\r\n");
 * assert.deepEqual(rtpFormatOf(sdp.media[0]!), { encodingName: "PCMU", clockRate: 8000, channels: 1, fmtp: {} });
 * ```
 */
export function rtpFormatOf(
  media: SdpMedia,
  payloadType?: number,
): RtpFormat | undefined {
  const pt = payloadType ?? media.formats[0];
  if (pt === undefined) return undefined;
  const map = media.rtpmap.get(pt) ?? STATIC.get(pt);
  if (map === undefined) return undefined;
  const format: RtpFormat = {
    encodingName: map.encodingName,
    clockRate: map.clockRate,
    fmtp: media.fmtp.get(pt) ?? {},
  };
  if (map.channels !== undefined) format.channels = map.channels;
  return format;
}
