/**
 * SDP text from a description ({@linkcode buildSdp}).
 *
 * @module
 */
import type { SdpDirection, SdpOrigin, SdpRtpMap } from "./sdp.ts";

/**
 * A media section to write; a parsed {@linkcode SdpMedia} fits.
 *
 * @example
 * ```ts
 * import type { SdpMediaInit } from "@arcly/stream/sdp";
 * const media: SdpMediaInit = { type: "audio", formats: [0], control: "trackID=0" };
 * ```
 */
export interface SdpMediaInit {
  /** "video", "audio" … */
  type: string;
  /** Port; default 0. */
  port?: number;
  /** Port count, when more than one. */
  portCount?: number;
  /** Transport; default "RTP/AVP". */
  protocol?: string;
  /** Payload types. */
  formats: readonly number[];
  /** Non-numeric format tokens, written after `formats`. */
  formatTokens?: readonly string[];
  /** `a=rtpmap` by payload type. */
  rtpmap?: ReadonlyMap<number, SdpRtpMap>;
  /** `a=fmtp` by payload type. */
  fmtp?: ReadonlyMap<number, Readonly<Record<string, string>>>;
  /** `a=control`. */
  control?: string;
  /** Direction. */
  direction?: SdpDirection;
  /** `c=` value. */
  connection?: string;
  /** `b=` values. */
  bandwidth?: readonly string[];
  /** Other attributes, in order (rtpmap/fmtp/control/direction entries here are skipped: the fields above win). */
  attributes?: readonly (readonly [string, string])[];
}

/**
 * A session to write; a parsed `SessionDescription` fits.
 *
 * @example
 * ```ts
 * import type { SdpInit } from "@arcly/stream/sdp";
 * const init: SdpInit = { sessionName: "live/cam", media: [{ type: "video", formats: [96] }] };
 * ```
 */
export interface SdpInit {
  /** The `o=` line; missing fields default to "-", "0", "0", "IN", "IP4", "127.0.0.1". */
  origin?: Partial<SdpOrigin>;
  /** The `s=` line; default "-". */
  sessionName?: string;
  /** Session `c=`; default none. */
  connection?: string;
  /** The `t=` line; default "0 0". */
  timing?: string;
  /** Session `a=control`. */
  control?: string;
  /** Session direction. */
  direction?: SdpDirection;
  /** Session attributes, in order. */
  attributes?: readonly (readonly [string, string])[];
  /** Media sections. */
  media: readonly SdpMediaInit[];
}

const STRUCTURED: ReadonlySet<string> = new Set([
  "rtpmap",
  "fmtp",
  "control",
  "sendrecv",
  "sendonly",
  "recvonly",
  "inactive",
]);

function clean(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new RangeError(
      `Cannot build SDP: "${value.slice(0, 40)}" contains a line break or NUL`,
    );
  }
  return value;
}

function attribute(name: string, value: string): string {
  return value === "" ? `a=${clean(name)}` : `a=${clean(name)}:${clean(value)}`;
}

/**
 * Writes an SDP text with CRLF line ends.
 *
 * @param init the session and its media sections
 * @returns the text
 * @throws {RangeError} when a value contains a line break
 *
 * @example Build and parse back
 * ```ts
 * import { buildSdp, parseSdp } from "@arcly/stream/sdp";
 * import assert from "node:assert/strict";
 *
 * const text = buildSdp({
 *   sessionName: "live/cam",
 *   media: [{
 *     type: "audio", formats: [111],
 *     rtpmap: new Map([[111, { encodingName: "opus", clockRate: 48000, channels: 2 }]]),
 *     control: "trackID=0",
 *   }],
 * });
 * assert.ok(text.includes("a=rtpmap:111 opus/48000/2\r\n"));
 * assert.equal(parseSdp(text).media[0]!.control, "trackID=0");
 * ```
 */
export function buildSdp(init: SdpInit): string {
  const o = init.origin ?? {};
  const lines = [
    "v=0",
    `o=${o.username || "-"} ${o.sessionId || "0"} ${o.sessionVersion || "0"} ${
      o.netType || "IN"
    } ${o.addrType || "IP4"} ${o.address || "127.0.0.1"}`,
    `s=${init.sessionName || "-"}`,
  ];
  if (init.connection !== undefined) lines.push(`c=${init.connection}`);
  lines.push(`t=${init.timing ?? "0 0"}`);
  for (const [name, value] of init.attributes ?? []) {
    if (!STRUCTURED.has(name)) lines.push(attribute(name, value));
  }
  if (init.control !== undefined) {
    lines.push(attribute("control", init.control));
  }
  if (init.direction !== undefined) lines.push(`a=${init.direction}`);
  for (const m of init.media) writeMedia(m, lines);
  return lines.map(clean).join("\r\n") + "\r\n";
}

function writeMedia(m: SdpMediaInit, lines: string[]): void {
  const port = m.portCount !== undefined && m.portCount > 1
    ? `${m.port ?? 0}/${m.portCount}`
    : `${m.port ?? 0}`;
  const formats = [...m.formats.map(String), ...(m.formatTokens ?? [])];
  lines.push(
    `m=${m.type} ${port} ${m.protocol ?? "RTP/AVP"} ${formats.join(" ")}`,
  );
  if (m.connection !== undefined) lines.push(`c=${m.connection}`);
  for (const b of m.bandwidth ?? []) lines.push(`b=${b}`);
  for (const pt of m.formats) {
    const map = m.rtpmap?.get(pt);
    if (map !== undefined) {
      const ch = map.channels !== undefined ? `/${map.channels}` : "";
      lines.push(`a=rtpmap:${pt} ${map.encodingName}/${map.clockRate}${ch}`);
    }
    const fmtp = m.fmtp?.get(pt);
    if (fmtp !== undefined && Object.keys(fmtp).length > 0) {
      const params = Object.entries(fmtp)
        .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
        .join(";");
      lines.push(`a=fmtp:${pt} ${params}`);
    }
  }
  if (m.control !== undefined) lines.push(attribute("control", m.control));
  if (m.direction !== undefined) lines.push(`a=${m.direction}`);
  for (const [name, value] of m.attributes ?? []) {
    if (!STRUCTURED.has(name)) lines.push(attribute(name, value));
  }
}
