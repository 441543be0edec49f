/**
 * The state WHIP/WHEP routes share while the handler serves.
 *
 * @module
 */
import type { StreamHandle, StreamHost } from "../../src/mod.ts";
import type { UdpMux } from "./udp_mux.ts";
import type { NativeSrtp } from "./_native_srtp.ts";
import type { Peer } from "./_werift_peer.ts";
import type { StreamRtpFeed } from "./stream_feed.ts";
import type { WhepSession } from "./whep_session.ts";
import type { WhipSession } from "./whip_session.ts";

/** A live session and what the routes need to find it. */
export interface SessionEntry {
  type: "whip" | "whep";
  key: string;
  etag: string;
  pc: Peer;
  session: WhipSession | WhepSession;
}

/** Shared state of the routes while the handler serves. */
export interface RouteContext {
  host: StreamHost;
  mux: UdpMux;
  hosts: readonly string[];
  feeds: Map<string, StreamRtpFeed>;
  sessions: Map<string, SessionEntry>;
  maxSessions: number;
  connectTimeoutMs: number;
  rtcpTimeoutMs: number;
  mediaTimeoutMs: number;
  opusBridgeSuffix: string;
  ensureOpus: ((sourceKey: string) => Promise<unknown>) | undefined;
  bridgeTimeoutMs: number;
  /** libcrypto for the SRTP transform, opened once per handler (absent: JS). */
  nativeSrtp?: NativeSrtp | undefined;
  feedFor(handle: StreamHandle): StreamRtpFeed;
  sessionClosed(reason: string, connected: boolean): void;
}
