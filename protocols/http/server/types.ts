// Types and limits of the origin's own HTTP/1.1 server (server.ts), shared
// by its connections without an import cycle.
import type { Clock } from "../../../src/clock.ts";

/** Limits and timeouts of the server. */
export interface Http1Limits {
  /** Open connections at most; more are closed at accept. */
  maxConnections: number;
  /** Longest request head, bytes (431 past it). */
  maxHeadBytes: number;
  /** Most header fields in a head (431 past it). */
  maxHeaders: number;
  /** Longest request body, bytes (413 past it). */
  maxBodyBytes: number;
  /** A request head (and its body) must arrive within this, ms. */
  headerTimeoutMs: number;
  /** Requests in flight get this long after shutdown starts, ms. */
  shutdownGraceMs: number;
}

/** Defaults: 10,000 connections, 16 KiB heads, 100 fields, 1 MiB bodies, 10 s, 5 s. */
export const DEFAULT_HTTP1_LIMITS: Readonly<Http1Limits> = Object.freeze({
  maxConnections: 10_000,
  maxHeadBytes: 16 * 1024,
  maxHeaders: 100,
  maxBodyBytes: 1 << 20,
  headerTimeoutMs: 10_000,
  shutdownGraceMs: 5_000,
});

/** What the handler gets besides the request (Deno.ServeHandlerInfo-like). */
export interface Http1HandlerInfo {
  remoteAddr: Deno.NetAddr;
  /** Resolves once the response was written (or the connection failed). */
  completed: Promise<void>;
}

/** The server state its connections use (one object per server). */
export interface ServerInternals {
  handler: Http1Handler;
  clock: Clock;
  limits: Http1Limits;
  hooks: Http1Hooks;
  tls: boolean;
  dropped: () => void;
  date: () => string;
  /** A connection ended: the server forgets it. */
  release: (connection: object) => void;
}

/** A fetch-style handler. */
export type Http1Handler = (
  request: Request,
  info: Http1HandlerInfo,
) => Response | Promise<Response>;

/** Server-wide hooks and counters. */
export interface Http1Hooks {
  /** A connection was refused or dropped (cap, gate, slow head, bad head). */
  onRefused(
    remote: Deno.NetAddr,
    reason: string,
    code: "LimitExceeded" | "Timeout" | "Protocol",
  ): void;
  /** An unexpected failure (accept errors, a handler that threw). */
  onError(error: unknown): void;
}
