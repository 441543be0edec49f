/**
 * What the server's methods share: the handler-wide context and what they
 * need from their connection (kept apart so the connection and the methods
 * do not import each other).
 *
 * @module
 */
import type { UnitEgress } from "../../src/egress.ts";
import type { RtspLimits } from "./message.ts";
import type { NonceIssuer } from "./auth.ts";
import type { ServerSession, SessionTable } from "./_session.ts";
import type { RtpCounters, RtpUnit } from "./_rtp_egress.ts";
import type { UdpPair } from "./_udp.ts";

/** What the methods share across connections (built by the handler). */
export interface ServerContext {
  name: string;
  limits: Partial<RtspLimits>;
  sessionTimeoutMs: number;
  sessions: SessionTable;
  udp: UdpPair | undefined;
  egress: UnitEgress<RtpUnit>;
  counters: RtpCounters;
  realm: string;
  nonces: NonceIssuer;
  digestPassword:
    | ((username: string) => string | undefined | Promise<string | undefined>)
    | undefined;
}

/** What the methods use of their connection. */
export interface ConnectionPort {
  /** "host:port" of the peer. */
  readonly remoteAddr: string;
  /** The peer's address (UDP destinations). */
  readonly remoteHost: string;
  /** Sessions created on this connection. */
  readonly sessions: Set<ServerSession>;
  /** Write after whatever is being written. */
  write(bytes: Uint8Array): Promise<void>;
  /** Reset the inactivity deadline. */
  touch(): void;
  /** Close the connection and release its sessions. */
  close(): void;
}
