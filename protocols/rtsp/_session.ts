/**
 * Server-side RTSP session state (RFC 2326 §A.1): which stream, which
 * tracks are set up with which transport, and whether it plays or records.
 * A session belongs to the TCP connection that created it and ends with it
 * (or on TEARDOWN, or after `timeout` without a request or RTCP).
 *
 * Memory: sessions are bounded server-wide (`maxSessions`) and per
 * connection ({@linkcode MAX_SESSIONS_PER_CONNECTION}); tracks are bounded
 * by the stream's SDP (at most 64 media sections).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { TransportSpec } from "./headers.ts";

/** Sessions one TCP connection may hold (a SETUP flood gets 453). */
export const MAX_SESSIONS_PER_CONNECTION = 4;

/** How one track's packets travel. */
export interface TrackTransport {
  /** The transport as answered in the SETUP reply. */
  spec: TransportSpec;
  /** TCP: the RTP channel (RTCP is channel + 1). */
  channel?: number;
  /** UDP: where the client's RTP and RTCP ports are. */
  udp?: { host: string; rtpPort: number; rtcpPort: number };
}

/** One RTSP session. */
export interface ServerSession {
  /** Session id (16 hex digits). */
  readonly id: string;
  /** The stream path ("app/name"). */
  path: string;
  /** Decided by the first SETUP (mode=record or not). */
  mode: "play" | "record";
  /** Track index → transport. */
  tracks: Map<number, TrackTransport>;
  /** RFC 2326 §A.1 state. */
  state: "ready" | "playing" | "recording";
  /** Engine-clock time of the last request or RTCP. */
  lastSeen: number;
  /** Release what the session holds (egress, publish, UDP routes). */
  teardown: Array<() => void>;
}

/** The server's session table (bounded). */
export class SessionTable {
  #sessions = new Map<string, ServerSession>();
  #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get full(): boolean {
    return this.#sessions.size >= this.#max;
  }

  create(path: string, mode: "play" | "record", now: number): ServerSession {
    let id = randomBytes(8).toString("hex").toUpperCase();
    while (this.#sessions.has(id)) {
      id = randomBytes(8).toString("hex").toUpperCase();
    }
    const session: ServerSession = {
      id,
      path,
      mode,
      tracks: new Map(),
      state: "ready",
      lastSeen: now,
      teardown: [],
    };
    this.#sessions.set(id, session);
    return session;
  }

  get(id: string): ServerSession | undefined {
    return this.#sessions.get(id);
  }

  /** Remove and release a session (idempotent). */
  destroy(session: ServerSession): void {
    if (this.#sessions.get(session.id) !== session) return;
    this.#sessions.delete(session.id);
    const steps = session.teardown.splice(0);
    for (const step of steps.reverse()) {
      try {
        step();
      } catch { /* release best effort */ }
    }
  }
}
