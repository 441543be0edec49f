/**
 * What WHIP/WHEP read of an SDP offer before werift sees it: the media
 * sections and their codecs (to refuse a codec-less offer with 400 and an
 * offer with nothing we can serve with 406), and trickle-ICE fragments
 * (`application/trickle-ice-sdpfrag`, RFC 8840).
 *
 * Bounded: at most {@linkcode MAX_SDP_BYTES} of text, 64 media sections,
 * 128 codecs per section; every failure is a `StreamError` `InvalidInput`.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";

/** Largest offer or fragment accepted, in bytes.
 *
 * @example
 * ```ts
 * import { MAX_SDP_BYTES } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_SDP_BYTES >= 16_384);
 * ```
 */
export const MAX_SDP_BYTES = 64 * 1024;
const MAX_MEDIA = 64;
const MAX_CODECS = 128;

/** One `a=rtpmap` of a media section, with its `fmtp` and `rtcp-fb` lines.
 *
 * @example
 * ```ts
 * import type { SdpCodec } from "@arcly/stream/webrtc";
 * const codec: SdpCodec = { payloadType: 111, name: "opus", clockRate: 48000, channels: 2, fmtp: {}, fmtpLine: "", feedback: [] };
 * ```
 */
export interface SdpCodec {
  /** Payload type (0..127). */
  payloadType: number;
  /** Encoding name as written ("H264", "opus"). */
  name: string;
  /** Clock rate. */
  clockRate: number;
  /** Channels (audio), if given. */
  channels?: number;
  /** `a=fmtp` parameters (keys lower-cased). */
  fmtp: Record<string, string>;
  /** The `a=fmtp` value as written (without the payload type). */
  fmtpLine: string;
  /** `a=rtcp-fb` values ("nack", "nack pli", "transport-cc"). */
  feedback: string[];
}

/** Direction attribute of a media section.
 *
 * @example
 * ```ts
 * import type { SdpDirection } from "@arcly/stream/webrtc";
 * const d: SdpDirection = "recvonly";
 * ```
 */
export type SdpDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** One `m=` section of an offer.
 *
 * @example
 * ```ts
 * import type { SdpMediaSection } from "@arcly/stream/webrtc";
 * const m: SdpMediaSection = { kind: "video", port: 9, protocol: "UDP/TLS/RTP/SAVPF", mid: "0", direction: "recvonly", codecs: [] };
 * ```
 */
export interface SdpMediaSection {
  /** "audio", "video", "application", … */
  kind: string;
  /** Port of the `m=` line (0 = rejected). */
  port: number;
  /** Transport protocol of the `m=` line. */
  protocol: string;
  /** `a=mid`, if any. */
  mid?: string;
  /** Direction (default sendrecv). */
  direction: SdpDirection;
  /** Codecs with an `a=rtpmap`, in offer order. */
  codecs: SdpCodec[];
}

/** An offer as far as WHIP/WHEP need it.
 *
 * @example
 * ```ts
 * import { parseSdpOffer } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const offer = parseSdpOffer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\n");
 * assert.equal(offer.media[0]?.codecs[0]?.name, "opus");
 * ```
 */
export interface SdpOffer {
  /** Media sections in order. */
  media: SdpMediaSection[];
}

function invalid(why: string): StreamError {
  return new StreamError("InvalidInput", `Cannot read SDP offer: ${why}`);
}

function lines(text: string): string[] {
  if (text.length > MAX_SDP_BYTES) {
    throw invalid(`${text.length} bytes exceed ${MAX_SDP_BYTES}`);
  }
  return text.split(/\r?\n/).filter((l) => l.length > 0);
}

function parseFmtp(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(";")) {
    const p = part.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    if (eq <= 0) out[p.toLowerCase()] = "";
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return out;
}

function payloadType(text: string, line: string): number {
  const pt = Number(text);
  if (!/^\d{1,3}$/.test(text) || pt > 127) {
    throw invalid(`bad payload type in "${line.slice(0, 80)}"`);
  }
  return pt;
}

/**
 * Parse an SDP offer's media sections. Throws `StreamError` `InvalidInput`
 * when the text is not SDP (no `v=0`, no `m=` line, malformed `m=`/`rtpmap`
 * lines) or over the limits.
 *
 * @example
 * ```ts
 * import { parseSdpOffer } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseSdpOffer("hello"), { code: "InvalidInput" });
 * ```
 */
export function parseSdpOffer(text: string): SdpOffer {
  const all = lines(text);
  if (all[0]?.trim() !== "v=0") throw invalid("it does not start with v=0");
  const media: SdpMediaSection[] = [];
  let current: SdpMediaSection | undefined;
  const pendingFmtp = new Map<number, string>();
  const pendingFb = new Map<number, string[]>();
  const finish = () => {
    if (!current) return;
    for (const codec of current.codecs) {
      const f = pendingFmtp.get(codec.payloadType);
      if (f !== undefined) {
        codec.fmtpLine = f;
        codec.fmtp = parseFmtp(f);
      }
      codec.feedback = [
        ...(pendingFb.get(codec.payloadType) ?? []),
        ...(pendingFb.get(-1) ?? []),
      ];
    }
    pendingFmtp.clear();
    pendingFb.clear();
  };
  for (const raw of all) {
    const line = raw.trimEnd();
    if (line.startsWith("m=")) {
      finish();
      if (media.length >= MAX_MEDIA) {
        throw invalid(`over ${MAX_MEDIA} media sections`);
      }
      const parts = line.slice(2).split(" ");
      const port = Number(parts[1]?.split("/")[0]);
      if (
        parts.length < 3 || !Number.isInteger(port) || port < 0 || port > 65535
      ) {
        throw invalid(`malformed m= line "${line.slice(0, 80)}"`);
      }
      current = {
        kind: parts[0]!,
        port,
        protocol: parts[2]!,
        direction: "sendrecv",
        codecs: [],
      };
      media.push(current);
      continue;
    }
    if (!current || !line.startsWith("a=")) continue;
    const attr = line.slice(2);
    const colon = attr.indexOf(":");
    const name = colon < 0 ? attr : attr.slice(0, colon);
    const value = colon < 0 ? "" : attr.slice(colon + 1);
    switch (name) {
      case "mid":
        current.mid = value;
        break;
      case "sendrecv":
      case "sendonly":
      case "recvonly":
      case "inactive":
        current.direction = name;
        break;
      case "rtpmap": {
        const sp = value.indexOf(" ");
        if (sp < 0) throw invalid(`malformed rtpmap "${line.slice(0, 80)}"`);
        const pt = payloadType(value.slice(0, sp), line);
        const [codecName, rate, channels] = value.slice(sp + 1).split("/");
        const clockRate = Number(rate);
        if (!codecName || !Number.isInteger(clockRate) || clockRate <= 0) {
          throw invalid(`malformed rtpmap "${line.slice(0, 80)}"`);
        }
        if (current.codecs.length >= MAX_CODECS) {
          throw invalid(`over ${MAX_CODECS} codecs`);
        }
        const codec: SdpCodec = {
          payloadType: pt,
          name: codecName,
          clockRate,
          fmtp: {},
          fmtpLine: "",
          feedback: [],
        };
        if (channels !== undefined) {
          const n = Number(channels);
          if (!Number.isInteger(n) || n <= 0 || n > 255) {
            throw invalid(`bad channel count in "${line.slice(0, 80)}"`);
          }
          codec.channels = n;
        }
        current.codecs.push(codec);
        break;
      }
      case "fmtp": {
        const sp = value.indexOf(" ");
        if (sp < 0) break;
        pendingFmtp.set(
          payloadType(value.slice(0, sp), line),
          value.slice(sp + 1).trim(),
        );
        break;
      }
      case "rtcp-fb": {
        const sp = value.indexOf(" ");
        if (sp < 0) break;
        const ptText = value.slice(0, sp);
        const pt = ptText === "*" ? -1 : payloadType(ptText, line);
        const list = pendingFb.get(pt) ?? [];
        if (list.length < 16) list.push(value.slice(sp + 1).trim());
        pendingFb.set(pt, list);
        break;
      }
    }
  }
  finish();
  if (media.length === 0) throw invalid("no media section");
  return { media };
}

/** A trickle-ICE fragment (RFC 8840 `application/trickle-ice-sdpfrag`).
 *
 * @example
 * ```ts
 * import type { TrickleFragment } from "@arcly/stream/webrtc";
 * const f: TrickleFragment = { candidates: [{ mid: "0", candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host" }], endOfCandidates: false };
 * ```
 */
export interface TrickleFragment {
  /** `a=ice-ufrag` (session level or first section), if present. */
  ufrag?: string;
  /** `a=ice-pwd`, if present (a new one means ICE restart). */
  pwd?: string;
  /** Candidates with the `a=mid` of their section (value without `a=`). */
  candidates: { mid?: string; candidate: string }[];
  /** `a=end-of-candidates` seen. */
  endOfCandidates: boolean;
}

/**
 * Parse a trickle-ICE SDP fragment. Throws `StreamError` `InvalidInput`
 * when it is too large, has over 64 candidates, or a candidate line that is
 * not `candidate:<foundation> <component> <transport> <priority> <address>
 * <port> typ <type> …`.
 *
 * @example
 * ```ts
 * import { parseTrickleFragment } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const f = parseTrickleFragment("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\na=end-of-candidates\r\n");
 * assert.equal(f.ufrag, "abcd");
 * assert.equal(f.candidates[0]?.mid, "0");
 * assert.ok(f.endOfCandidates);
 * ```
 */
export function parseTrickleFragment(text: string): TrickleFragment {
  const out: TrickleFragment = { candidates: [], endOfCandidates: false };
  let mid: string | undefined;
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line.startsWith("a=ice-ufrag:")) out.ufrag ??= line.slice(12);
    else if (line.startsWith("a=ice-pwd:")) out.pwd ??= line.slice(10);
    else if (line.startsWith("a=mid:")) mid = line.slice(6);
    else if (line === "a=end-of-candidates") out.endOfCandidates = true;
    else if (line.startsWith("a=candidate:")) {
      const candidate = line.slice(2);
      const f = candidate.slice(10).split(" ");
      const port = Number(f[5]);
      if (
        f.length < 8 || f[6] !== "typ" || !/^\d+$/.test(f[1] ?? "") ||
        !/^\d+$/.test(f[3] ?? "") || !Number.isInteger(port) || port < 0 ||
        port > 65535
      ) {
        throw new StreamError(
          "InvalidInput",
          `Cannot read trickle-ICE fragment: malformed candidate "${
            line.slice(0, 80)
          }"`,
        );
      }
      if (out.candidates.length >= 64) {
        throw new StreamError(
          "InvalidInput",
          "Cannot read trickle-ICE fragment: over 64 candidates",
        );
      }
      out.candidates.push(
        mid === undefined ? { candidate } : { mid, candidate },
      );
    }
  }
  return out;
}
