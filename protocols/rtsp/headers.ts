/**
 * RTSP header values with structure: `Transport` (RFC 2326 §12.39), `Session`
 * (§12.37, `timeout=`), `RTP-Info` (§12.33) and the request URL's track
 * control suffix. Pure string functions, bounded: a value longer than 4 KiB
 * or with more than 16 transport alternatives is refused.
 *
 * @module
 */
import { RtspProtocolError } from "./message.ts";

/**
 * One transport alternative of a `Transport` header.
 *
 * @example
 * ```ts
 * import type { TransportSpec } from "@arcly/stream/rtsp";
 * const t: TransportSpec = { profile: "RTP/AVP", lowerTransport: "TCP", multicast: false, interleaved: [0, 1] };
 * ```
 */
export interface TransportSpec {
  /** "RTP/AVP" (also "RTP/AVPF", "RTP/SAVP"). */
  profile: string;
  /** UDP (default) or TCP (interleaved). */
  lowerTransport: "UDP" | "TCP";
  /** True for `multicast`. */
  multicast: boolean;
  /** Interleaved channel pair (TCP). */
  interleaved?: [number, number];
  /** The client's RTP/RTCP ports (UDP). */
  clientPort?: [number, number];
  /** The server's RTP/RTCP ports (UDP). */
  serverPort?: [number, number];
  /** "play" (default) or "record". */
  mode?: "play" | "record";
  /** SSRC the sender will use. */
  ssrc?: number;
  /** Destination address (UDP). */
  destination?: string;
  /** Source address (UDP). */
  source?: string;
}

const MAX_VALUE = 4096;

function transportError(why: string): RtspProtocolError {
  return new RtspProtocolError(
    461,
    `Cannot parse Transport: ${why}`,
    "InvalidInput",
  );
}

function portPair(v: string, what: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
  if (m === null) throw transportError(`${what} ${JSON.stringify(v)}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (a > 65535 || b > 65535) throw transportError(`${what} out of range`);
  return [a, b];
}

function channelPair(v: string): [number, number] {
  const [a, b] = portPair(v, "interleaved");
  if (a > 255 || b > 255) throw transportError("interleaved channel > 255");
  return [a, b];
}

/**
 * Parse a `Transport` header into its alternatives, in preference order.
 *
 * @param value the header value
 * @returns one spec per comma-separated alternative
 * @throws {RtspProtocolError} 461 for a malformed value
 * @example
 * ```ts
 * import { parseTransport } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const [t] = parseTransport("RTP/AVP;unicast;client_port=5000-5001;mode=record");
 * assert.deepEqual(t?.clientPort, [5000, 5001]);
 * assert.equal(t?.mode, "record");
 * ```
 */
export function parseTransport(value: string): TransportSpec[] {
  if (value.length > MAX_VALUE) throw transportError("too long");
  const specs: TransportSpec[] = [];
  for (const alternative of value.split(",")) {
    if (specs.length >= 16) throw transportError("too many alternatives");
    const params = alternative.trim().split(";").map((p) => p.trim());
    const proto = params[0] ?? "";
    const m = /^(RTP\/[A-Z]{3,5})(?:\/(UDP|TCP))?$/i.exec(proto);
    if (m === null) {
      throw transportError(`protocol ${JSON.stringify(proto.slice(0, 32))}`);
    }
    const spec: TransportSpec = {
      profile: m[1]!.toUpperCase(),
      lowerTransport: (m[2]?.toUpperCase() ?? "UDP") as "UDP" | "TCP",
      multicast: false,
    };
    for (const p of params.slice(1)) {
      if (p === "") continue;
      const eq = p.indexOf("=");
      const key = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
      const raw = eq < 0 ? "" : p.slice(eq + 1);
      const v = raw.replace(/^"(.*)"$/, "$1");
      switch (key) {
        case "unicast":
          spec.multicast = false;
          break;
        case "multicast":
          spec.multicast = true;
          break;
        case "interleaved":
          spec.interleaved = channelPair(v);
          break;
        case "client_port":
          spec.clientPort = portPair(v, "client_port");
          break;
        case "server_port":
          spec.serverPort = portPair(v, "server_port");
          break;
        case "mode": {
          const mode = v.toLowerCase();
          if (mode === "play" || mode === "record") spec.mode = mode;
          else if (mode === "receive") spec.mode = "record";
          else throw transportError(`mode ${JSON.stringify(v.slice(0, 16))}`);
          break;
        }
        case "ssrc":
          if (!/^[0-9A-Fa-f]{1,8}$/.test(v)) throw transportError("ssrc");
          spec.ssrc = parseInt(v, 16) >>> 0;
          break;
        case "destination":
          spec.destination = v;
          break;
        case "source":
          spec.source = v;
          break;
        default:
          break; // ttl, layers, append, port: ignored
      }
    }
    specs.push(spec);
  }
  return specs;
}

/**
 * Format one transport spec for a request or a SETUP reply.
 *
 * @param spec the spec
 * @returns the header value
 * @example
 * ```ts
 * import { formatTransport } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatTransport({ profile: "RTP/AVP", lowerTransport: "TCP", multicast: false, interleaved: [2, 3] }),
 *   "RTP/AVP/TCP;unicast;interleaved=2-3",
 * );
 * ```
 */
export function formatTransport(spec: TransportSpec): string {
  const parts = [
    spec.lowerTransport === "TCP" ? `${spec.profile}/TCP` : spec.profile,
    spec.multicast ? "multicast" : "unicast",
  ];
  if (spec.destination !== undefined) {
    parts.push(`destination=${spec.destination}`);
  }
  if (spec.source !== undefined) parts.push(`source=${spec.source}`);
  if (spec.interleaved) parts.push(`interleaved=${spec.interleaved.join("-")}`);
  if (spec.clientPort) parts.push(`client_port=${spec.clientPort.join("-")}`);
  if (spec.serverPort) parts.push(`server_port=${spec.serverPort.join("-")}`);
  if (spec.ssrc !== undefined) {
    parts.push(`ssrc=${spec.ssrc.toString(16).toUpperCase().padStart(8, "0")}`);
  }
  if (spec.mode === "record") parts.push("mode=record");
  return parts.join(";");
}

/**
 * A parsed `Session` header.
 *
 * @example
 * ```ts
 * import type { SessionHeader } from "@arcly/stream/rtsp";
 * const s: SessionHeader = { id: "abc", timeoutS: 60 };
 * ```
 */
export interface SessionHeader {
  /** Session identifier. */
  id: string;
  /** `timeout=` in seconds, when given. */
  timeoutS?: number;
}

/**
 * Parse a `Session` header (`id[;timeout=s]`).
 *
 * @param value the header value
 * @returns the id and timeout
 * @throws {RtspProtocolError} 454 for a malformed id
 * @example
 * ```ts
 * import { parseSessionHeader } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseSessionHeader("A1b2;timeout=60"), { id: "A1b2", timeoutS: 60 });
 * ```
 */
export function parseSessionHeader(value: string): SessionHeader {
  const [id = "", ...params] = value.split(";").map((s) => s.trim());
  if (!/^[A-Za-z0-9$\-_.+]{1,128}$/.test(id)) {
    throw new RtspProtocolError(
      454,
      "Cannot parse Session: malformed session id",
      "InvalidInput",
    );
  }
  const out: SessionHeader = { id };
  for (const p of params) {
    const m = /^timeout=(\d{1,6})$/i.exec(p);
    if (m) out.timeoutS = Number(m[1]);
  }
  return out;
}

/**
 * One entry of an `RTP-Info` header.
 *
 * @example
 * ```ts
 * import type { RtpInfoEntry } from "@arcly/stream/rtsp";
 * const e: RtpInfoEntry = { url: "rtsp://h/live/cam/trackID=0", seq: 1, rtptime: 0 };
 * ```
 */
export interface RtpInfoEntry {
  /** Track URL. */
  url: string;
  /** Sequence number of the first packet. */
  seq?: number;
  /** RTP timestamp of the first packet. */
  rtptime?: number;
}

/**
 * Format an `RTP-Info` header.
 *
 * @param entries one per track
 * @returns the header value
 * @example
 * ```ts
 * import { formatRtpInfo } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatRtpInfo([{ url: "rtsp://h/a/trackID=0", seq: 5, rtptime: 9 }]),
 *   "url=rtsp://h/a/trackID=0;seq=5;rtptime=9");
 * ```
 */
export function formatRtpInfo(entries: readonly RtpInfoEntry[]): string {
  return entries.map((e) => {
    let s = `url=${e.url}`;
    if (e.seq !== undefined) s += `;seq=${e.seq}`;
    if (e.rtptime !== undefined) s += `;rtptime=${e.rtptime}`;
    return s;
  }).join(",");
}

/**
 * Parse an `RTP-Info` header (lenient: unknown parameters are skipped).
 *
 * @param value the header value
 * @returns the entries with a url
 * @example
 * ```ts
 * import { parseRtpInfo } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseRtpInfo("url=rtsp://h/a/trackID=1;seq=7;rtptime=90")[0]?.seq, 7);
 * ```
 */
export function parseRtpInfo(value: string): RtpInfoEntry[] {
  const out: RtpInfoEntry[] = [];
  for (const part of value.slice(0, MAX_VALUE).split(",")) {
    const entry: RtpInfoEntry = { url: "" };
    for (const p of part.split(";")) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim();
      if (k === "url") entry.url = v;
      else if (k === "seq" && /^\d{1,5}$/.test(v)) entry.seq = Number(v);
      else if (k === "rtptime" && /^\d{1,10}$/.test(v)) {
        entry.rtptime = Number(v);
      }
    }
    if (entry.url !== "") out.push(entry);
  }
  return out;
}

/**
 * Resolve a track `a=control` value against the base URL (RFC 2326 §C.1.1).
 *
 * @param base the Content-Base (or request URL)
 * @param control the control attribute (absolute or relative, or `*`)
 * @returns the track URL
 * @example
 * ```ts
 * import { resolveControl } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveControl("rtsp://h/live/cam/", "trackID=1"), "rtsp://h/live/cam/trackID=1");
 * assert.equal(resolveControl("rtsp://h/live/cam", "trackID=1"), "rtsp://h/live/cam/trackID=1");
 * assert.equal(resolveControl("rtsp://h/a", "rtsp://x/b"), "rtsp://x/b");
 * ```
 */
export function resolveControl(base: string, control: string): string {
  if (/^rtsps?:\/\//i.test(control)) return control;
  if (control === "*" || control === "") return base;
  return base.endsWith("/") ? base + control : `${base}/${control}`;
}
