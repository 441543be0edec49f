/**
 * SDP (RFC 8866) parse and build: the session and media sections with the
 * attributes RTP needs structured (`rtpmap`, `fmtp`, `control`, direction);
 * every attribute is also kept in order in `attributes` (ICE, DTLS, `mid`,
 * `ssrc`, `rtcp-fb`, `extmap` … for WebRTC).
 *
 * Data path: text in, plain objects out; bounded by {@linkcode MAX_SDP_BYTES},
 * {@linkcode MAX_SDP_MEDIA} and {@linkcode MAX_SDP_LINES}.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";

/**
 * Largest SDP text accepted.
 *
 * @example
 * ```ts
 * import { MAX_SDP_BYTES } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_SDP_BYTES > 0);
 * ```
 */
export const MAX_SDP_BYTES = 256 * 1024;
/**
 * Most media sections accepted.
 *
 * @example
 * ```ts
 * import { MAX_SDP_MEDIA } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_SDP_MEDIA > 0);
 * ```
 */
export const MAX_SDP_MEDIA = 64;
/**
 * Most lines accepted.
 *
 * @example
 * ```ts
 * import { MAX_SDP_LINES } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_SDP_LINES > 0);
 * ```
 */
export const MAX_SDP_LINES = 8192;
const MAX_FMTP_PARAMS = 64;

/**
 * The `o=` line.
 *
 * @example
 * ```ts
 * import type { SdpOrigin } from "@arcly/stream/sdp";
 * const origin: SdpOrigin = { username: "-", sessionId: "1", sessionVersion: "1", netType: "IN", addrType: "IP4", address: "127.0.0.1" };
 * ```
 */
export interface SdpOrigin {
  /** Username ("-" when none). */
  username: string;
  /** Session id (digits, kept as text: may exceed 2^53). */
  sessionId: string;
  /** Session version (text). */
  sessionVersion: string;
  /** "IN". */
  netType: string;
  /** "IP4" or "IP6". */
  addrType: string;
  /** Unicast address of the originator. */
  address: string;
}

/**
 * One `a=rtpmap` entry.
 *
 * @example
 * ```ts
 * import type { SdpRtpMap } from "@arcly/stream/sdp";
 * const map: SdpRtpMap = { encodingName: "opus", clockRate: 48000, channels: 2 };
 * ```
 */
export interface SdpRtpMap {
  /** Encoding name as written ("H264", "opus", "MPEG4-GENERIC" …). */
  encodingName: string;
  /** Clock rate in Hz. */
  clockRate: number;
  /** Channels (audio encoding parameters), when given. */
  channels?: number;
}

/**
 * Media direction attributes.
 *
 * @example
 * ```ts
 * import type { SdpDirection } from "@arcly/stream/sdp";
 * const direction: SdpDirection = "recvonly";
 * ```
 */
export type SdpDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/**
 * One media section (`m=` and what follows it).
 *
 * @example
 * ```ts
 * import type { SdpMedia } from "@arcly/stream/sdp";
 * const media: SdpMedia = {
 *   type: "audio", port: 0, protocol: "RTP/AVP", formats: [0], rtpmap: new Map(), fmtp: new Map(), attributes: [],
 * };
 * ```
 */
export interface SdpMedia {
  /** "video", "audio", "application" … */
  type: string;
  /** Transport port (0 in RTSP DESCRIBE, 9 in WebRTC). */
  port: number;
  /** Number of ports (`port/count`), when given. */
  portCount?: number;
  /** "RTP/AVP", "UDP/TLS/RTP/SAVPF" … */
  protocol: string;
  /** Numeric payload types, in order. */
  formats: number[];
  /** Format tokens that are not numbers (e.g. "webrtc-datachannel"), when any. */
  formatTokens?: string[];
  /** `a=rtpmap` by payload type. */
  rtpmap: Map<number, SdpRtpMap>;
  /** `a=fmtp` parameters by payload type. */
  fmtp: Map<number, Record<string, string>>;
  /** `a=control` (RTSP track URL, relative or absolute). */
  control?: string;
  /** Direction attribute, when given. */
  direction?: SdpDirection;
  /** The `c=` line value, when given ("IN IP4 0.0.0.0"). */
  connection?: string;
  /** `b=` line values ("AS:500"). */
  bandwidth?: string[];
  /** Every other attribute, in order, as [name, value] ("" for a flag). */
  attributes: [string, string][];
}

/**
 * A parsed session description.
 *
 * @example
 * ```ts
 * import { parseSdp } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 *
 * const sdp = parseSdp("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n");
 * assert.equal(sdp.sessionName, "cam");
 * assert.equal(sdp.media[0]!.rtpmap.get(96)!.encodingName, "H264");
 * ```
 */
export interface SessionDescription {
  /** Protocol version (0). */
  version: number;
  /** The `o=` line. */
  origin: SdpOrigin;
  /** The `s=` line. */
  sessionName: string;
  /** Session-level `c=`, when given. */
  connection?: string;
  /** The `t=` line ("0 0"). */
  timing?: string;
  /** Session-level `a=control`. */
  control?: string;
  /** Session-level direction. */
  direction?: SdpDirection;
  /** Session-level attributes other than control/direction, in order. */
  attributes: [string, string][];
  /** Media sections, in order. */
  media: SdpMedia[];
}

const DIRECTIONS: ReadonlySet<string> = new Set([
  "sendrecv",
  "sendonly",
  "recvonly",
  "inactive",
]);

function fail(why: string): StreamError {
  return new StreamError("InvalidInput", `Cannot parse SDP: ${why}`);
}

/**
 * Parses `a=fmtp` parameters ("k=v;k2=v2").
 *
 * @param text the parameter list after the payload type
 * @returns the parameters (a key without "=" maps to "")
 *
 * @example
 * ```ts
 * import { parseFmtp } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseFmtp("packetization-mode=1; profile-level-id=42e01f"), {
 *   "packetization-mode": "1", "profile-level-id": "42e01f",
 * });
 * ```
 */
export function parseFmtp(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const item of text.split(";")) {
    const t = item.trim();
    if (t === "") continue;
    if (++n > MAX_FMTP_PARAMS) break;
    const eq = t.indexOf("=");
    const key = eq < 0 ? t : t.slice(0, eq).trim();
    if (key === "__proto__") continue;
    out[key] = eq < 0 ? "" : t.slice(eq + 1).trim();
  }
  return out;
}

function parseOrigin(value: string): SdpOrigin {
  const f = value.split(" ");
  return {
    username: f[0] ?? "",
    sessionId: f[1] ?? "",
    sessionVersion: f[2] ?? "",
    netType: f[3] ?? "",
    addrType: f[4] ?? "",
    address: f[5] ?? "",
  };
}

function parseMediaLine(value: string): SdpMedia {
  const f = value.split(" ").filter((t) => t !== "");
  if (f.length < 3) {
    throw fail(`m=${value.slice(0, 60)} has fewer than 3 fields`);
  }
  const [portText, countText] = f[1]!.split("/");
  const port = Number(portText);
  if (
    !Number.isInteger(port) || port < 0 || port > 65535 ||
    !/^\d+$/.test(portText!)
  ) {
    throw fail(`m= port ${f[1]!.slice(0, 20)} is not 0..65535`);
  }
  const media: SdpMedia = {
    type: f[0]!,
    port,
    protocol: f[2]!,
    formats: [],
    rtpmap: new Map(),
    fmtp: new Map(),
    attributes: [],
  };
  if (countText !== undefined) {
    const count = Number(countText);
    if (!Number.isInteger(count) || count < 1 || count > 65535) {
      throw fail(`m= port count ${countText.slice(0, 20)}`);
    }
    media.portCount = count;
  }
  for (const token of f.slice(3, 3 + 256)) {
    const pt = /^\d{1,3}$/.test(token) ? Number(token) : NaN;
    if (pt >= 0 && pt <= 127) media.formats.push(pt);
    else (media.formatTokens ??= []).push(token);
  }
  return media;
}

function mediaAttribute(media: SdpMedia, name: string, value: string): void {
  if (name === "rtpmap" || name === "fmtp") {
    const m = /^(\d{1,3})\s+(.*)$/.exec(value);
    const pt = m ? Number(m[1]) : NaN;
    if (m && pt <= 127) {
      if (name === "fmtp") {
        media.fmtp.set(pt, parseFmtp(m[2]!));
      } else {
        const [enc, rate, channels] = m[2]!.trim().split("/");
        const clockRate = Number(rate);
        if (enc && Number.isInteger(clockRate) && clockRate > 0) {
          const map: SdpRtpMap = { encodingName: enc, clockRate };
          const ch = Number(channels);
          if (channels !== undefined && Number.isInteger(ch) && ch > 0) {
            map.channels = ch;
          }
          media.rtpmap.set(pt, map);
        }
      }
    }
  }
  if (name === "control") media.control = value;
  else if (DIRECTIONS.has(name) && value === "") {
    media.direction = name as SdpDirection;
  }
  media.attributes.push([name, value]);
}

/**
 * Parses an SDP text (CRLF or LF line ends).
 *
 * @param text the session description
 * @returns the parsed description
 * @throws {StreamError} `InvalidInput` when the text is over the limits, does not start with `v=0` or has a malformed line
 *
 * @example An RTSP DESCRIBE answer
 * ```ts
 * import { parseSdp } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 *
 * const sdp = parseSdp([
 *   "v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=No Name", "t=0 0",
 *   "m=audio 0 RTP/AVP 97", "a=rtpmap:97 MPEG4-GENERIC/44100/2",
 *   "a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1210",
 *   "a=control:trackID=1", "",
 * ].join("\r\n"));
 * const audio = sdp.media[0]!;
 * assert.equal(audio.rtpmap.get(97)!.channels, 2);
 * assert.equal(audio.fmtp.get(97)!.config, "1210");
 * assert.equal(audio.control, "trackID=1");
 * ```
 */
export function parseSdp(text: string): SessionDescription {
  if (text.length > MAX_SDP_BYTES) {
    throw fail(`${text.length} characters exceed ${MAX_SDP_BYTES}`);
  }
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_SDP_LINES) {
    throw fail(`more than ${MAX_SDP_LINES} lines`);
  }
  const session: SessionDescription = {
    version: 0,
    origin: parseOrigin(""),
    sessionName: "",
    attributes: [],
    media: [],
  };
  let sawVersion = false;
  let current: SdpMedia | undefined;
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    if (line.length < 2 || line[1] !== "=" || !/^[a-z]$/.test(line[0]!)) {
      throw fail(`line "${line.slice(0, 40)}" is not <type>=<value>`);
    }
    const type = line[0]!;
    const value = line.slice(2);
    if (!sawVersion) {
      if (type !== "v" || value.trim() !== "0") {
        throw fail("it does not start with v=0");
      }
      sawVersion = true;
      continue;
    }
    if (type === "m") {
      if (session.media.length >= MAX_SDP_MEDIA) {
        throw fail(`more than ${MAX_SDP_MEDIA} media sections`);
      }
      current = parseMediaLine(value);
      session.media.push(current);
    } else if (type === "a") {
      const colon = value.indexOf(":");
      const name = colon < 0 ? value : value.slice(0, colon);
      const attr = colon < 0 ? "" : value.slice(colon + 1);
      if (current !== undefined) mediaAttribute(current, name, attr);
      else if (name === "control") session.control = attr;
      else if (DIRECTIONS.has(name) && attr === "") {
        session.direction = name as SdpDirection;
      } else session.attributes.push([name, attr]);
    } else if (type === "c") {
      if (current !== undefined) current.connection = value;
      else session.connection = value;
    } else if (type === "b" && current !== undefined) {
      (current.bandwidth ??= []).push(value);
    } else if (current === undefined) {
      if (type === "o") session.origin = parseOrigin(value);
      else if (type === "s") session.sessionName = value;
      else if (type === "t") session.timing = value;
    }
  }
  if (!sawVersion) throw fail("it is empty");
  return session;
}
