/**
 * {@linkcode WebRtcHandler}: WHIP ingest and WHEP playback (RFC 9725 and
 * the WHEP draft). It is a `ProtocolHandler` (run by `Engine.serve`: binds
 * the shared UDP port, closes every session on shutdown) and carries an
 * `HttpRouteProvider` (`routes`) that the HTTP app mounts with
 * `extraRoutes` for the signalling on the HTTP port:
 *
 * | request                                   | answer                                  |
 * |-------------------------------------------|-----------------------------------------|
 * | `POST /{app}/{name}/whip` (application/sdp) | 201 + answer, `Location`, `ETag`       |
 * | `POST /{app}/{name}/whep` (application/sdp) | 201 + answer, `Location`, `ETag`       |
 * | `PATCH {Location}` (trickle-ice-sdpfrag)  | 204 (candidates added), 405 ICE restart |
 * | `DELETE {Location}`                       | 200, the session ends                   |
 * | `OPTIONS` any of these                    | 204 + CORS preflight                    |
 *
 * Refusals: 400 malformed or codec-less offer, 401/403 refused by the
 * authenticator (`Authorization: Bearer …` or `?token=`; credentials
 * protocol `"webrtc"`), 404 no such stream/session, 406 no codec we can
 * serve (or H.264 with B-frames for WHEP), 409 already publishing, 413 too
 * large, 415 wrong content type, 503 session limit or not serving.
 *
 * Data path: see `StreamRtpFeed` (WHEP: packetized once per stream, SRTP per
 * viewer) and `WhipSession` (WHIP: depacketized once, published). Every
 * session is bounded in time (ICE deadline, RTCP/RTP silence) and in number
 * (`maxSessions`).
 *
 * @module
 */
import os from "node:os";
import type {
  HttpRouteProvider,
  ProtocolHandler,
  StreamHandle,
  StreamHost,
} from "../../src/mod.ts";
import { UdpMux, type WebRtcUdpBackend } from "./udp_mux.ts";
import { handleWebRtcRequest } from "./_routes.ts";
import type { RouteContext } from "./_context.ts";
import { openNativeSrtp } from "./_native_srtp.ts";
import { StreamRtpFeed } from "./stream_feed.ts";
import type { WhepSession } from "./whep_session.ts";
import type { WhipSession } from "./whip_session.ts";

/** Options of {@linkcode WebRtcHandler}.
 *
 * @example
 * ```ts
 * import type { WebRtcOptions } from "@arcly/stream/webrtc";
 * const options: WebRtcOptions = { udp: { hostname: "0.0.0.0", port: 8189 }, hosts: ["192.0.2.10"] };
 * ```
 */
export interface WebRtcOptions {
  /**
   * The shared ICE UDP socket (default 0.0.0.0:8189; port 0 picks one) and
   * its backend (default "auto": batched `sendmmsg` through FFI when
   * `--allow-ffi` is granted on Linux, see `UdpMuxOptions.backend`).
   */
  udp?: { hostname?: string; port?: number; backend?: WebRtcUdpBackend };
  /**
   * Addresses advertised as ICE host candidates (NAT, containers). Default:
   * the bound address, or every non-internal IPv4 address plus 127.0.0.1
   * when bound to 0.0.0.0.
   */
  hosts?: string[];
  /** Sessions (WHIP + WHEP) at once (default 1000). */
  maxSessions?: number;
  /** ICE/DTLS must complete within this, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** A WHEP viewer with no RTCP for this long is dropped, ms (default 15 000). */
  rtcpTimeoutMs?: number;
  /** A WHIP publisher with no RTP for this long is ended, ms (default 10 000). */
  mediaTimeoutMs?: number;
  /** CORS: `true` (default) any origin, a string or list those origins, `false` none. */
  cors?: boolean | string | string[];
  /**
   * Suffix of the derived stream that carries an AAC source's audio as Opus
   * (the transcoder's audio bridge; default "~opus"). WHEP of a stream with
   * AAC audio plays `{key}{suffix}` when it can be authorized; otherwise
   * video only.
   */
  opusBridgeSuffix?: string;
  /**
   * Starts the AAC → Opus bridge of a source key (resolves once
   * `{key}{opusBridgeSuffix}` publishes), e.g.
   * `(key) => transcodeService.ensureAudio(key, "opus")`. Without it, the
   * bridged key is still tried through `authorizePlay` (a running bridge or
   * an on-demand provider).
   */
  ensureOpus?: (sourceKey: string) => Promise<unknown>;
  /** Longest wait for the bridge before answering video-only, ms (default 8 000). */
  bridgeTimeoutMs?: number;
  /**
   * The WHEP fan-out of one frame to its viewers yields to the event loop
   * after this much synchronous work, ms (default 4; 0: never), so STUN,
   * DTLS and signalling are not starved by hundreds of viewers.
   */
  deliverySliceMs?: number;
  /**
   * The WHEP SRTP transform in the system's libcrypto (`libcrypto.so.3`
   * through FFI: AES-NI counter mode, native HMAC-SHA1; the same bytes as
   * the JS transform). Default true: used when `--allow-ffi` is granted on
   * Linux and the library loads, else the JS transform.
   */
  nativeSrtp?: boolean;
}

/** Counters of {@linkcode WebRtcHandler}.
 *
 * @example
 * ```ts
 * import type { WebRtcStats } from "@arcly/stream/webrtc";
 * const s: WebRtcStats = { whipSessions: 0, whepSessions: 0, feeds: 0, dropped: 0, timedOut: 0, refused: 0 };
 * ```
 */
export interface WebRtcStats {
  /** Live WHIP sessions. */
  whipSessions: number;
  /** Live WHEP sessions. */
  whepSessions: number;
  /** Live per-stream RTP feeds. */
  feeds: number;
  /** Viewers dropped for silence or failure (consent, RTCP timeout). */
  dropped: number;
  /** Sessions freed because ICE never completed. */
  timedOut: number;
  /** Requests refused (4xx/5xx). */
  refused: number;
}

/** One live session, as {@linkcode WebRtcHandler.sessions} lists it.
 *
 * @example
 * ```ts
 * import type { WebRtcSessionInfo } from "@arcly/stream/webrtc";
 * const s: WebRtcSessionInfo = { id: "x", type: "whep", key: "live/cam", connected: true, stats: {} };
 * ```
 */
export interface WebRtcSessionInfo {
  /** Session id (the last segment of its `Location`). */
  id: string;
  /** WHIP (publisher) or WHEP (viewer). */
  type: "whip" | "whep";
  /** Stream key. */
  key: string;
  /** ICE + DTLS completed. */
  connected: boolean;
  /** Per-session counters (packets, frames, NACKs, PLIs). */
  stats: Record<string, number>;
}

/**
 * WHIP/WHEP server (see the module doc).
 *
 * @example Mount the routes into the HTTP app
 * ```ts
 * import { WebRtcHandler } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const webrtc = new WebRtcHandler({ udp: { hostname: "127.0.0.1", port: 0 } });
 * const res = await webrtc.routes.fetch(new Request("http://x/live/cam/whep", { method: "OPTIONS" }), {});
 * assert.equal(res?.status, 204);
 * ```
 */
export class WebRtcHandler implements ProtocolHandler {
  /** Name used in events. */
  readonly name = "webrtc";
  /** The WHIP/WHEP routes, for `createHttpApp(engine, { extraRoutes: [handler.routes] })`. */
  readonly routes: HttpRouteProvider;
  /** Resolves with the bound UDP address once serving; rejects when the port cannot be bound. */
  readonly listening: Promise<{ hostname: string; port: number }>;
  readonly #options: WebRtcOptions;
  #resolveListening!: (a: { hostname: string; port: number }) => void;
  #rejectListening!: (e: unknown) => void;
  #ctx: RouteContext | undefined;
  readonly #stats = { dropped: 0, timedOut: 0, refused: 0 };
  readonly #recent: string[] = [];

  /** Configure; nothing is bound before `serve`. */
  constructor(options: WebRtcOptions = {}) {
    this.#options = options;
    this.listening = new Promise((resolve, reject) => {
      this.#resolveListening = resolve;
      this.#rejectListening = reject;
    });
    this.listening.catch(() => {}); // also thrown by serve()
    this.routes = {
      name: "webrtc",
      fetch: (request, info) =>
        handleWebRtcRequest(
          request,
          info,
          this.#ctx,
          this.#options.cors ?? true,
          this.#stats,
        ),
    };
  }

  /** Counters. */
  get stats(): WebRtcStats {
    const ctx = this.#ctx;
    let whip = 0;
    let whep = 0;
    for (const s of ctx?.sessions.values() ?? []) {
      if (s.type === "whip") whip++;
      else whep++;
    }
    return {
      whipSessions: whip,
      whepSessions: whep,
      feeds: ctx?.feeds.size ?? 0,
      ...this.#stats,
    };
  }

  /** Live sessions and their counters (for the API and tests). */
  sessions(): WebRtcSessionInfo[] {
    return [...(this.#ctx?.sessions.entries() ?? [])].map(([id, e]) => ({
      id,
      type: e.type,
      key: e.key,
      connected: e.session.connected,
      stats: { ...e.session.stats },
    }));
  }

  /** Why the last (at most 16) sessions ended, oldest first. */
  get recentCloseReasons(): readonly string[] {
    return [...this.#recent];
  }

  /** The shared UDP socket while serving (its counters: garbage dropped, …). */
  get mux(): UdpMux | undefined {
    return this.#ctx?.mux;
  }

  /** Bind the UDP port, serve until `signal` aborts, then close every session. */
  async serve(host: StreamHost, signal: AbortSignal): Promise<void> {
    let mux: UdpMux;
    try {
      mux = await UdpMux.bind({
        hostname: this.#options.udp?.hostname ?? "0.0.0.0",
        port: this.#options.udp?.port ?? 8189,
        ...(this.#options.udp?.backend
          ? { backend: this.#options.udp.backend }
          : {}),
      });
    } catch (e) {
      this.#rejectListening(e);
      throw e;
    }
    const hosts = this.#options.hosts?.length
      ? this.#options.hosts
      : defaultHosts(mux.hostname);
    const feeds = new Map<string, StreamRtpFeed>();
    const ctx: RouteContext = {
      host,
      mux,
      hosts,
      feeds,
      sessions: new Map(),
      maxSessions: this.#options.maxSessions ?? 1000,
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 10_000,
      rtcpTimeoutMs: this.#options.rtcpTimeoutMs ?? 15_000,
      mediaTimeoutMs: this.#options.mediaTimeoutMs ?? 10_000,
      opusBridgeSuffix: this.#options.opusBridgeSuffix ?? "~opus",
      ensureOpus: this.#options.ensureOpus,
      bridgeTimeoutMs: this.#options.bridgeTimeoutMs ?? 8_000,
      nativeSrtp: this.#options.nativeSrtp === false
        ? undefined
        : openNativeSrtp(),
      feedFor: (handle: StreamHandle) => {
        const key = handle.key.toString();
        let feed = feeds.get(key);
        if (!feed || feed.viewerCount === 0 && handle.ended) feed = undefined;
        if (!feed) {
          const created = new StreamRtpFeed(handle, {
            ...(this.#options.deliverySliceMs !== undefined
              ? { sliceMs: this.#options.deliverySliceMs }
              : {}),
          });
          feeds.set(key, created);
          void created.done.then(() => {
            if (feeds.get(key) === created) feeds.delete(key);
          });
          feed = created;
        }
        return feed;
      },
      sessionClosed: (reason: string, connected: boolean) => {
        this.#recent.push(
          `${connected ? "connected" : "unconnected"}: ${reason}`,
        );
        if (this.#recent.length > 16) this.#recent.shift();
        if (!connected) this.#stats.timedOut += /in time/.test(reason) ? 1 : 0;
        else if (/RTCP|failed/.test(reason)) this.#stats.dropped++;
      },
    };
    this.#ctx = ctx;
    this.#resolveListening({ hostname: mux.hostname, port: mux.port });
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    for (const s of [...ctx.sessions.values()]) {
      (s.session as WhipSession | WhepSession).close("server shutdown");
    }
    for (const f of feeds.values()) f.close("server shutdown");
    feeds.clear();
    ctx.nativeSrtp?.close(); // after the sessions freed their contexts
    this.#ctx = undefined;
    await mux.close();
  }
}

function defaultHosts(bound: string): string[] {
  if (bound !== "0.0.0.0") return [bound];
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === "IPv4" && !a.internal) out.push(a.address);
    }
  }
  out.push("127.0.0.1");
  return out;
}
