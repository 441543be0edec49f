/**
 * The RTSP server's methods (RFC 2326 §10, state machine §A.1): OPTIONS,
 * DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN,
 * GET_PARAMETER/SET_PARAMETER (keep-alive). Players get the stream's shared
 * RTP units through the kernel's egress seam ({@linkcode PlayEgress});
 * publishers' RTP goes through {@linkcode RecordIngest} to `publishFrame`.
 *
 * Authorization: the engine's authenticator decides, with Credentials
 * `{ protocol: "rtsp", token, query, remoteAddr }` where `token` is the
 * password of a Basic or (verified) Digest `Authorization`; a refusal that
 * allows a challenge answers 401 with `WWW-Authenticate` (Digest when a
 * password lookup is configured, and Basic), otherwise 403.
 *
 * @module
 */
import type { StreamHost } from "../../src/contracts.ts";
import type { StreamHandle } from "../../src/stream_handle.ts";
import { StreamKey } from "../../src/stream_key.ts";
import { parseSdp } from "../../media/sdp/mod.ts";
import {
  type RtspHeaders,
  RtspProtocolError,
  type RtspRequest,
} from "./message.ts";
import {
  formatTransport,
  parseSessionHeader,
  parseTransport,
} from "./headers.ts";
import { authorized, credentialsOf } from "./_server_auth.ts";
import { chooseTransport, routeUdp } from "./_server_transport.ts";
import { setupTarget, targetOf } from "./_server_target.ts";
import { MAX_SESSIONS_PER_CONNECTION, type ServerSession } from "./_session.ts";
import type { RtpStreamFormat } from "./_rtp_egress.ts";
import type { PlayEgress } from "./_play.ts";
import {
  describeSdp,
  type MethodEnv,
  recordIngest,
  startPlay,
  waitForConfigs,
} from "./_server_stream.ts";
import { type AnnouncedTrack, type RecordIngest, tracksOf } from "./_record.ts";
import type { ConnectionPort, ServerContext } from "./_server_context.ts";

/** The result of a method: status, optional body, work after the reply. */
export interface MethodResult {
  status: number;
  body?: Uint8Array;
  after?: () => void;
}

const PUBLIC =
  "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER";
const OK: MethodResult = { status: 200 };

/** The method handlers of one connection (see the module doc). */
export class RtspMethods {
  #conn: ConnectionPort;
  #host: StreamHost;
  #ctx: ServerContext;
  #announced: { path: string; tracks: AnnouncedTrack[] } | undefined;
  #described = new Map<string, StreamHandle>();

  #env: MethodEnv;

  constructor(
    conn: ConnectionPort,
    host: StreamHost,
    ctx: ServerContext,
  ) {
    this.#conn = conn;
    this.#host = host;
    this.#ctx = ctx;
    this.#env = { conn, host, ctx };
  }

  /** Answer one request; fills `headers` and returns the status. */
  async handle(req: RtspRequest, headers: RtspHeaders): Promise<MethodResult> {
    const session = this.#sessionOf(req);
    if (session !== undefined) {
      session.lastSeen = this.#host.clock.now();
      headers.set("Session", this.#sessionValue(session));
    }
    switch (req.method) {
      case "OPTIONS":
        headers.set("Public", PUBLIC);
        return OK;
      case "GET_PARAMETER":
      case "SET_PARAMETER":
        return OK;
      case "DESCRIBE":
        return await this.#describe(req, headers);
      case "ANNOUNCE":
        return await this.#announce(req, headers);
      case "SETUP":
        return await this.#setup(req, headers, session);
      case "PLAY":
        return this.#play(req, headers, this.#need(session));
      case "PAUSE": {
        const s = this.#need(session);
        if (s.mode !== "play") throw this.#state("PAUSE", s);
        this.#stopPlay(s);
        s.state = "ready";
        return OK;
      }
      case "RECORD":
        return await this.#record(req, headers, this.#need(session));
      case "TEARDOWN": {
        const s = this.#need(session);
        this.#stopPlay(s);
        s.state = "ready"; // a torn-down player keeps its connection
        this.#ctx.sessions.destroy(s);
        this.#conn.sessions.delete(s);
        headers.set("Session", s.id);
        return OK;
      }
      default:
        headers.set("Public", PUBLIC);
        return { status: 501 };
    }
  }

  /** An interleaved frame: publisher RTP to its ingest; RTCP is keep-alive. */
  interleaved(channel: number, payload: Uint8Array): void {
    for (const s of this.#conn.sessions) {
      for (const [index, t] of s.tracks) {
        if (t.channel === channel && s.state === "recording") {
          this.#ingests.get(s)?.push(index, payload);
          return;
        }
        if (t.channel !== undefined && t.channel + 1 === channel) {
          s.lastSeen = this.#host.clock.now();
          return;
        }
      }
    }
  }

  #ingests = new WeakMap<ServerSession, RecordIngest>();
  #plays = new WeakMap<ServerSession, PlayEgress>();

  /** Streams described on this connection (at most 8: DESCRIBE spam holds nothing). */
  #remember(path: string, handle: StreamHandle): void {
    this.#described.delete(path);
    this.#described.set(path, handle);
    if (this.#described.size > 8) {
      const oldest = this.#described.keys().next().value;
      if (oldest !== undefined) this.#described.delete(oldest);
    }
  }

  #sessionOf(req: RtspRequest): ServerSession | undefined {
    const value = req.headers.get("session");
    if (value === undefined) return undefined;
    const { id } = parseSessionHeader(value);
    const s = this.#ctx.sessions.get(id);
    if (s === undefined || !this.#conn.sessions.has(s)) {
      throw new RtspProtocolError(
        454,
        `Cannot find session ${id.slice(0, 32)}`,
      );
    }
    return s;
  }

  #need(session: ServerSession | undefined): ServerSession {
    if (session === undefined) {
      throw new RtspProtocolError(
        454,
        "Cannot find session: no Session header",
      );
    }
    return session;
  }

  #state(method: string, s: ServerSession): RtspProtocolError {
    return new RtspProtocolError(
      455,
      `Cannot ${method}: session is ${s.state} (${s.mode})`,
    );
  }

  #sessionValue(s: ServerSession): string {
    return `${s.id};timeout=${Math.round(this.#ctx.sessionTimeoutMs / 1000)}`;
  }

  async #describe(
    req: RtspRequest,
    headers: RtspHeaders,
  ): Promise<MethodResult> {
    const target = targetOf(req.uri);
    const key = StreamKey.parse(target.path);
    const credentials = await credentialsOf(
      this.#ctx,
      this.#conn.remoteAddr,
      req,
      target,
    );
    const handle = await authorized(
      this.#ctx,
      headers,
      () => this.#host.authorizePlay(key, credentials),
    );
    await waitForConfigs(this.#host, handle);
    const body = describeSdp(this.#ctx, handle, key.toString());
    this.#remember(target.path, handle);
    headers.set("Content-Type", "application/sdp");
    headers.set("Content-Base", `${target.base}/`);
    return { status: 200, body };
  }

  async #announce(
    req: RtspRequest,
    headers: RtspHeaders,
  ): Promise<MethodResult> {
    const target = targetOf(req.uri);
    const key = StreamKey.parse(target.path);
    let tracks: AnnouncedTrack[];
    try {
      tracks = tracksOf(parseSdp(new TextDecoder().decode(req.body)));
    } catch (error) {
      throw new RtspProtocolError(
        400,
        `Cannot ANNOUNCE ${key}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    if (tracks.length === 0) {
      throw new RtspProtocolError(400, `Cannot ANNOUNCE ${key}: no media`);
    }
    const credentials = await credentialsOf(
      this.#ctx,
      this.#conn.remoteAddr,
      req,
      target,
    );
    await authorized(
      this.#ctx,
      headers,
      () => this.#host.authorize("publish", key, credentials),
    );
    this.#announced = { path: key.toString(), tracks };
    return OK;
  }

  async #setup(
    req: RtspRequest,
    headers: RtspHeaders,
    existing: ServerSession | undefined,
  ): Promise<MethodResult> {
    const value = req.headers.get("transport");
    if (value === undefined) {
      throw new RtspProtocolError(461, "Cannot SETUP: no Transport header");
    }
    const specs = parseTransport(value);
    const target = targetOf(req.uri);
    const announced = this.#announced;
    const { path, index, mode } = setupTarget(
      target,
      announced,
      existing?.mode,
    );
    if (
      existing !== undefined &&
      (existing.path !== path || existing.mode !== mode)
    ) {
      throw new RtspProtocolError(
        459,
        "Cannot SETUP: another stream in this session",
      );
    }
    if (existing?.state === "playing" || existing?.state === "recording") {
      throw this.#state("SETUP", existing);
    }
    let ssrc: number | undefined;
    if (mode === "play") {
      const key = StreamKey.parse(path);
      let handle = this.#described.get(path);
      if (handle === undefined || handle.ended) {
        const credentials = await credentialsOf(
          this.#ctx,
          this.#conn.remoteAddr,
          req,
          target,
        );
        handle = await authorized(
          this.#ctx,
          headers,
          () => this.#host.authorizePlay(key, credentials),
        );
        await waitForConfigs(this.#host, handle);
        this.#remember(path, handle);
      }
      const format = this.#ctx.egress.cacheOf(handle).format as RtpStreamFormat;
      format.refresh(handle.gopCache.configFrames());
      const track = format.tracks[index];
      if (track === undefined) {
        throw new RtspProtocolError(
          404,
          `Cannot SETUP track ${index} of ${key}`,
        );
      }
      ssrc = track.packetizer.ssrc;
    } else if (index >= announced!.tracks.length) {
      throw new RtspProtocolError(404, `Cannot SETUP track ${index}`);
    }
    const session = existing ?? this.#create(path, mode);
    const transport = chooseTransport(
      this.#ctx.udp,
      this.#conn.remoteHost,
      specs,
      index,
      mode,
      session,
    );
    if (ssrc !== undefined) transport.spec.ssrc = ssrc;
    this.#release(session, index);
    session.tracks.set(index, transport);
    if (transport.udp !== undefined && this.#ctx.udp !== undefined) {
      const off = routeUdp(this.#ctx.udp, transport.udp, mode === "record", {
        alive: () => {
          session.lastSeen = this.#host.clock.now();
          this.#conn.touch();
        },
        rtp: (bytes) => {
          if (session.state === "recording") {
            this.#ingests.get(session)?.push(index, bytes);
          }
        },
      });
      this.#routes.set(`${session.id}/${index}`, off);
      session.teardown.push(() => this.#release(session, index));
    }
    headers.set("Transport", formatTransport(transport.spec));
    headers.set("Session", this.#sessionValue(session));
    return OK;
  }

  #routes = new Map<string, () => void>();

  #release(session: ServerSession, index: number): void {
    const key = `${session.id}/${index}`;
    this.#routes.get(key)?.();
    this.#routes.delete(key);
  }

  #create(path: string, mode: "play" | "record"): ServerSession {
    if (this.#conn.sessions.size >= MAX_SESSIONS_PER_CONNECTION) {
      throw new RtspProtocolError(
        453,
        `Cannot SETUP: at most ${MAX_SESSIONS_PER_CONNECTION} sessions per connection`,
        "LimitExceeded",
      );
    }
    if (this.#ctx.sessions.full) {
      throw new RtspProtocolError(
        503,
        "Cannot SETUP: the server's session limit is reached",
        "LimitExceeded",
      );
    }
    const s = this.#ctx.sessions.create(path, mode, this.#host.clock.now());
    this.#conn.sessions.add(s);
    return s;
  }

  #play(
    req: RtspRequest,
    headers: RtspHeaders,
    s: ServerSession,
  ): MethodResult {
    if (s.mode !== "play") throw this.#state("PLAY", s);
    if (s.state === "playing") return OK;
    if (s.tracks.size === 0) throw this.#state("PLAY", s);
    const handle = this.#host.getStream(s.path);
    if (handle === undefined || handle !== this.#described.get(s.path)) {
      throw new RtspProtocolError(
        404,
        `Cannot PLAY ${s.path}: the stream ended`,
      );
    }
    const { play, after } = startPlay(this.#env, req, headers, s, handle, () =>
      // The stream ended or the player was evicted: end the connection
      // (a paused or torn-down session keeps it).
      s.state === "playing" && this.#plays.get(s) === play &&
      this.#conn.close());
    s.state = "playing";
    this.#plays.set(s, play);
    s.teardown.push(() => play.close());
    return { status: 200, after };
  }

  #stopPlay(s: ServerSession): void {
    const play = this.#plays.get(s);
    this.#plays.delete(s);
    play?.close();
  }

  async #record(
    req: RtspRequest,
    headers: RtspHeaders,
    s: ServerSession,
  ): Promise<MethodResult> {
    if (s.mode !== "record" || s.state !== "ready") {
      throw this.#state("RECORD", s);
    }
    const announced = this.#announced;
    if (
      announced === undefined || announced.path !== s.path ||
      s.tracks.size === 0
    ) {
      throw this.#state("RECORD", s);
    }
    const target = targetOf(req.uri);
    const credentials = await credentialsOf(
      this.#ctx,
      this.#conn.remoteAddr,
      req,
      target,
    );
    const handle = await authorized(
      this.#ctx,
      headers,
      () => this.#host.startPublishAuthorized(s.path, credentials),
    );
    const ingest = recordIngest(this.#env, s, announced.tracks, handle);
    this.#ingests.set(s, ingest);
    s.state = "recording";
    s.teardown.push(() => {
      if (!handle.ended) handle.end("rtsp publisher left");
    });
    return OK;
  }
}
