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
import { StreamError } from "../../media/stream_error.ts";
import { buildSdp, parseSdp } from "../../media/sdp/mod.ts";
import type { UnitEgress } from "../../src/egress.ts";
import {
  type RtspHeaders,
  type RtspLimits,
  RtspProtocolError,
  type RtspRequest,
} from "./message.ts";
import {
  formatRtpInfo,
  formatTransport,
  parseSessionHeader,
  parseTransport,
} from "./headers.ts";
import type { NonceIssuer } from "./auth.ts";
import { authorized, credentialsOf } from "./_server_auth.ts";
import { chooseTransport } from "./_server_transport.ts";
import { targetOf } from "./_server_target.ts";
import {
  MAX_SESSIONS_PER_CONNECTION,
  type ServerSession,
  type SessionTable,
} from "./_session.ts";
import type { RtpCounters, RtpStreamFormat, RtpUnit } from "./_rtp_egress.ts";
import type { UdpPair } from "./_udp.ts";
import { PlayEgress } from "./_play.ts";
import { type AnnouncedTrack, RecordIngest, tracksOf } from "./_record.ts";
import type { RtspServerConnection } from "./_server_connection.ts";

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

/** The result of a method: status, optional body, work after the reply. */
export interface MethodResult {
  status: number;
  body?: Uint8Array;
  after?: () => void;
}

const PUBLIC =
  "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER";
const OK: MethodResult = { status: 200 };
const encoder = new TextEncoder();

/** The method handlers of one connection (see the module doc). */
export class RtspMethods {
  #conn: RtspServerConnection;
  #host: StreamHost;
  #ctx: ServerContext;
  #announced: { path: string; tracks: AnnouncedTrack[] } | undefined;
  #described = new Map<string, StreamHandle>();

  constructor(
    conn: RtspServerConnection,
    host: StreamHost,
    ctx: ServerContext,
  ) {
    this.#conn = conn;
    this.#host = host;
    this.#ctx = ctx;
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
    await this.#waitForConfigs(handle);
    const format = this.#ctx.egress.cacheOf(handle).format as RtpStreamFormat;
    if (format.tracks.length === 0) {
      throw new RtspProtocolError(
        415,
        `Cannot describe ${key}: no track with a codec config RTP can carry (h264, h265, aac, opus)`,
        "Unsupported",
      );
    }
    this.#described.set(target.path, handle);
    const sdp = buildSdp({
      origin: { sessionId: String(Date.now()), address: "0.0.0.0" },
      sessionName: key.toString(),
      connection: "IN IP4 0.0.0.0",
      timing: "0 0",
      control: "*",
      attributes: [["range", "npt=0-"]],
      media: format.tracks.map((t) => t.media),
    });
    headers.set("Content-Type", "application/sdp");
    headers.set("Content-Base", `${target.base}/`);
    return { status: 200, body: encoder.encode(sdp) };
  }

  async #waitForConfigs(handle: StreamHandle): Promise<void> {
    const clock = this.#host.clock;
    const until = clock.now() + 3000;
    while (handle.gopCache.configFrames().length === 0 && clock.now() < until) {
      if (handle.ended) break;
      await new Promise<void>((r) => clock.setTimer(100, r));
    }
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
    // Which stream and track: the announced controls, or trackID=N.
    let path: string;
    let index: number;
    let mode: "play" | "record";
    const announced = this.#announced;
    const ctl =
      announced?.tracks.findIndex((t) =>
        t.control !== "" && (t.control === target.last ||
          target.base.endsWith(`/${t.control}`) || t.control === target.base)
      ) ?? -1;
    if (
      announced !== undefined && (existing?.mode ?? "record") === "record" &&
      (ctl >= 0 || target.path === announced.path)
    ) {
      path = announced.path;
      index = ctl >= 0 ? ctl : 0;
      mode = "record";
    } else {
      const m = /^trackID=(\d{1,3})$/.exec(target.last);
      path = m ? target.parent : target.path;
      index = m ? Number(m[1]) : 0;
      mode = "play";
    }
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
        await this.#waitForConfigs(handle);
        this.#described.set(path, handle);
      }
      const format = this.#ctx.egress.cacheOf(handle).format as RtpStreamFormat;
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
      const udp = this.#ctx.udp;
      const { host, rtpPort, rtcpPort } = transport.udp;
      const touch = (): void => {
        session.lastSeen = this.#host.clock.now();
        this.#conn.touch();
      };
      const offs = [udp.register(1, host, rtcpPort, touch)];
      if (mode === "record") {
        offs.push(udp.register(0, host, rtpPort, (bytes) => {
          touch();
          if (session.state === "recording") {
            this.#ingests.get(session)?.push(index, bytes);
          }
        }));
      }
      this.#routes.set(
        `${session.id}/${index}`,
        () => offs.forEach((f) => f()),
      );
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
    const format = this.#ctx.egress.cacheOf(handle).format as RtpStreamFormat;
    const play = new PlayEgress(
      this.#ctx.egress.open(handle),
      format,
      s.tracks,
      {
        write: (b) => this.#conn.write(b),
        udp: this.#ctx.udp,
        clock: this.#host.clock,
        counters: this.#ctx.counters,
      },
    );
    const base = targetOf(req.uri).base.replace(/\/trackID=\d+$/, "");
    const first = play.firstPackets();
    const info = [...s.tracks.keys()].sort((a, b) => a - b).flatMap((i) => {
      const f = first.get(i);
      return f === undefined
        ? []
        : [{ url: `${base}/trackID=${i}`, seq: f.seq, rtptime: f.rtptime }];
    });
    if (info.length > 0) headers.set("RTP-Info", formatRtpInfo(info));
    headers.set("Range", "npt=0.000-");
    s.state = "playing";
    this.#plays.set(s, play);
    s.teardown.push(() => play.close());
    return {
      status: 200,
      after: () => {
        play.run().catch((error) => {
          if (!(error instanceof Deno.errors.BadResource)) {
            this.#host.events.emit({
              type: "handlerError",
              name: this.#ctx.name,
              error,
            });
          }
        }).finally(() => {
          // The stream ended or the player was evicted: end the connection
          // (a paused session keeps it).
          if (s.state === "playing" && this.#plays.get(s) === play) {
            this.#conn.close();
          }
        });
      },
    };
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
    const name = this.#ctx.name;
    const ingest = new RecordIngest(
      announced.tracks,
      {
        frames: (frames) => {
          try {
            for (const f of frames) handle.publishFrame(f);
          } catch (error) {
            if (error instanceof StreamError && error.code === "Closed") {
              this.#conn.close();
            } else throw error;
          }
        },
        unsupported: (track, error) =>
          this.#host.events.emit({
            type: "handlerError",
            name,
            error: new StreamError(
              error.code,
              `Cannot ingest RTSP track ${track} of ${s.path}: ${error.message}`,
            ),
          }),
      },
      () => this.#host.clock.now(),
      {
        reorder: [...s.tracks.values()].some((t) => t.udp !== undefined),
      },
    );
    this.#ingests.set(s, ingest);
    s.state = "recording";
    s.teardown.push(() => {
      if (!handle.ended) handle.end("rtsp publisher left");
    });
    return OK;
  }
}
