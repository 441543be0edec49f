/**
 * The WHIP/WHEP HTTP signalling (see `webrtc_handler.ts` for the table):
 * request checks, authorization, codec choice, sessions by id.
 *
 * @module
 */
import type { Credentials, StreamHandle, StreamHost } from "../../src/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import { StreamKey } from "../../src/mod.ts";
import {
  MAX_SDP_BYTES,
  parseSdpOffer,
  parseTrickleFragment,
  type SdpCodec,
  type SdpOffer,
} from "./sdp_offer.ts";
import type { UdpMux } from "./udp_mux.ts";
import { addRemoteCandidate, answerOffer, type Peer } from "./_werift_peer.ts";
import { feedCodecs, type StreamRtpFeed } from "./stream_feed.ts";
import { WhepSession } from "./whep_session.ts";
import { WhipSession } from "./whip_session.ts";

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
  feedFor(handle: StreamHandle): StreamRtpFeed;
  sessionClosed(reason: string, connected: boolean): void;
}

const ROUTE = /^\/([^/]+)\/([^/]+)\/(whip|whep)(?:\/([A-Za-z0-9_-]{16,64}))?$/;
const METHODS = "POST, DELETE, PATCH, OPTIONS";

function corsHeaders(
  request: Request,
  cors: boolean | string | string[],
): Headers {
  const h = new Headers();
  if (cors === false) return h;
  const origin = request.headers.get("origin");
  let allow: string | null = null;
  if (cors === true) allow = "*";
  else {
    const list = Array.isArray(cors) ? cors : [cors];
    if (origin && list.includes(origin)) allow = origin;
  }
  if (allow) {
    h.set("access-control-allow-origin", allow);
    if (allow !== "*") h.set("vary", "Origin");
    h.set(
      "access-control-expose-headers",
      "Location, ETag, Link, Accept-Patch",
    );
  }
  return h;
}

function reply(
  status: number,
  body: string | null,
  headers: Headers,
  type = "text/plain; charset=utf-8",
): Response {
  if (body !== null) headers.set("content-type", type);
  return new Response(body, { status, headers });
}

function tokenOf(request: Request, url: URL): string | undefined {
  const auth = request.headers.get("authorization");
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m?.[1]?.trim() ?? url.searchParams.get("token") ?? undefined;
}

function randomId(): string {
  const b = new Uint8Array(18);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  );
}

function errorStatus(e: unknown, hasToken: boolean): [number, string] {
  if (e instanceof StreamError) {
    switch (e.code) {
      case "Unauthorized":
        return [hasToken ? 403 : 401, e.message];
      case "NotFound":
        return [404, e.message];
      case "AlreadyPublishing":
        return [409, e.message];
      case "LimitExceeded":
        return [503, e.message];
      case "InvalidInput":
        return [400, e.message];
      case "Unsupported":
        return [406, e.message];
      case "Closed":
        return [503, e.message];
    }
    return [500, e.message];
  }
  return [
    500,
    `Cannot answer offer: ${e instanceof Error ? e.message : String(e)}`,
  ];
}

/** The route provider's `fetch`: null for paths that are not WHIP/WHEP. */
export async function handleWebRtcRequest(
  request: Request,
  info: { remoteAddr?: string },
  ctx: RouteContext | undefined,
  cors: boolean | string | string[],
  stats: { refused: number },
): Promise<Response | null> {
  const url = new URL(request.url);
  const m = ROUTE.exec(url.pathname);
  if (!m) return null;
  const headers = corsHeaders(request, cors);
  const [, app, name, type, id] = m as unknown as [
    string,
    string,
    string,
    "whip" | "whep",
    string?,
  ];
  if (request.method === "OPTIONS") {
    headers.set("access-control-allow-methods", METHODS);
    headers.set(
      "access-control-allow-headers",
      "Authorization, Content-Type, If-Match",
    );
    headers.set("access-control-max-age", "86400");
    headers.set("allow", id ? "PATCH, DELETE, OPTIONS" : "POST, OPTIONS");
    headers.set("accept-post", "application/sdp");
    if (id) headers.set("accept-patch", "application/trickle-ice-sdpfrag");
    return new Response(null, { status: 204, headers });
  }
  const refuse = (status: number, why: string) => {
    stats.refused++;
    return reply(status, why + "\n", headers);
  };
  if (!ctx) {
    return refuse(
      503,
      "Cannot serve WebRTC: the WebRTC handler is not running",
    );
  }
  let key: StreamKey;
  try {
    key = new StreamKey(decodeURIComponent(app), decodeURIComponent(name));
  } catch (e) {
    return refuse(
      400,
      e instanceof Error ? e.message : "Cannot parse stream key",
    );
  }
  if (id !== undefined) {
    return sessionRequest(request, ctx, key, type, id, headers, refuse);
  }
  if (request.method !== "POST") {
    headers.set("allow", "POST, OPTIONS");
    return refuse(
      405,
      `Cannot ${request.method} ${url.pathname}: use POST with an SDP offer`,
    );
  }
  const contentType = request.headers.get("content-type")?.split(";")[0]?.trim()
    .toLowerCase();
  if (contentType !== "application/sdp") {
    return refuse(
      415,
      "Cannot read offer: Content-Type must be application/sdp",
    );
  }
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > MAX_SDP_BYTES) {
    return refuse(413, `Cannot read offer: over ${MAX_SDP_BYTES} bytes`);
  }
  let text: string;
  try {
    text = await readBounded(request);
  } catch (e) {
    return refuse(413, e instanceof Error ? e.message : "Cannot read offer");
  }
  let offer: SdpOffer;
  try {
    offer = parseSdpOffer(text);
  } catch (e) {
    return refuse(400, e instanceof Error ? e.message : "Cannot read offer");
  }
  if (!offer.media.some((s) => s.codecs.length > 0 && s.port !== 0)) {
    return refuse(400, "Cannot answer offer: no media section with a codec");
  }
  if (ctx.sessions.size >= ctx.maxSessions) {
    return refuse(
      503,
      `Cannot answer offer: ${ctx.maxSessions} WebRTC sessions already`,
    );
  }
  if (!ctx.host.accepting) {
    return refuse(503, "Cannot answer offer: shutting down");
  }
  const token = tokenOf(request, url);
  const credentials: Credentials = {
    protocol: "webrtc",
    query: url.searchParams,
    headers: request.headers,
    ...(token !== undefined ? { token } : {}),
    ...(info.remoteAddr !== undefined ? { remoteAddr: info.remoteAddr } : {}),
  };
  try {
    const created = type === "whep"
      ? await startWhep(ctx, key, offer, text, credentials)
      : await startWhip(ctx, key, offer, text, credentials);
    headers.set("location", `/${app}/${name}/${type}/${created.id}`);
    headers.set("etag", created.etag);
    headers.set("accept-patch", "application/trickle-ice-sdpfrag");
    return reply(201, created.answer, headers, "application/sdp");
  } catch (e) {
    const [status, why] = errorStatus(e, token !== undefined);
    if (status === 401) {
      headers.set("www-authenticate", 'Bearer realm="arcly-stream"');
    }
    return refuse(status, why);
  }
}

async function readBounded(request: Request): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_SDP_BYTES) {
      await reader.cancel().catch(() => {});
      throw new Error(`Cannot read offer: over ${MAX_SDP_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return new TextDecoder().decode(all);
}

function pickH264(codecs: readonly SdpCodec[]): SdpCodec | undefined {
  const h264 = codecs.filter((c) => c.name.toUpperCase() === "H264");
  return h264.find((c) =>
    c.fmtp["packetization-mode"] === "1" &&
    c.fmtp["profile-level-id"]?.toLowerCase().startsWith("42e0")
  ) ??
    h264.find((c) => c.fmtp["packetization-mode"] === "1") ?? h264[0];
}

function pickOpus(codecs: readonly SdpCodec[]): SdpCodec | undefined {
  return codecs.find((c) => c.name.toLowerCase() === "opus");
}

function codecsOf(offer: SdpOffer, kind: string): SdpCodec[] {
  return offer.media.filter((s) => s.kind === kind && s.port !== 0).flatMap((
    s,
  ) => s.codecs);
}

/**
 * The codec werift put in the answer per kind (it picks the offer's first
 * compatible payload type), with the offer's fmtp for that payload type.
 */
function answeredCodecs(
  answer: string,
  offer: SdpOffer,
): { video?: SdpCodec; audio?: SdpCodec } {
  const out: { video?: SdpCodec; audio?: SdpCodec } = {};
  for (const section of parseSdpOffer(answer).media) {
    const kind = section.kind;
    if ((kind !== "video" && kind !== "audio") || section.port === 0) continue;
    const first = section.codecs[0];
    if (!first || out[kind]) continue;
    out[kind] = codecsOf(offer, kind).find((c) =>
      c.payloadType === first.payloadType
    ) ?? first;
  }
  return out;
}

interface Created {
  id: string;
  etag: string;
  answer: string;
}

async function startWhep(
  ctx: RouteContext,
  key: StreamKey,
  offer: SdpOffer,
  text: string,
  credentials: Credentials,
): Promise<Created> {
  let handle = await ctx.host.authorizePlay(key, credentials);
  let codecs = feedCodecs(handle.gopCache.replay());
  if (codecs.audio === undefined && codecs.unsupported.includes("aac")) {
    try {
      const bridged = await ctx.host.authorizePlay(
        `${key}${ctx.opusBridgeSuffix}`,
        credentials,
      );
      handle = bridged;
      codecs = feedCodecs(bridged.gopCache.replay());
    } catch { /* no bridge: video only */ }
  }
  if (codecs.bFrames) {
    throw new StreamError(
      "Unsupported",
      `Cannot play ${key} over WebRTC: its H.264 has B-frames (WebRTC decoders do not reorder); publish with B-frames off (x264 -bf 0, OBS profile baseline)`,
    );
  }
  const h264 = codecs.video ? pickH264(codecsOf(offer, "video")) : undefined;
  const opus = codecs.audio ? pickOpus(codecsOf(offer, "audio")) : undefined;
  if (!h264 && !opus) {
    throw new StreamError(
      "Unsupported",
      `Cannot play ${key} over WebRTC: the stream has ${
        [codecs.video, codecs.audio, ...codecs.unsupported].filter(Boolean)
          .join(", ") || "no media yet"
      }, the offer has none of H264 (video) / opus (audio)`,
    );
  }
  const feed = ctx.feedFor(handle);
  const ssrc: { video?: number; audio?: number } = {};
  if (h264) ssrc.video = feed.prepare("video", "h264");
  if (opus) ssrc.audio = feed.prepare("audio", "opus");
  const answered = await answerOffer(text, {
    mux: ctx.mux,
    hosts: ctx.hosts,
    video: h264 ? [h264] : [],
    audio: opus ? [opus] : [],
    direction: "sendonly",
    ssrc,
  });
  const negotiated = answeredCodecs(answered.answer, offer);
  const id = randomId();
  const session = new WhepSession({
    id,
    pc: answered.pc,
    feed,
    clock: ctx.host.clock,
    payloadTypes: {
      ...(negotiated.video ? { video: negotiated.video.payloadType } : {}),
      ...(negotiated.audio ? { audio: negotiated.audio.payloadType } : {}),
    },
    connectTimeoutMs: ctx.connectTimeoutMs,
    rtcpTimeoutMs: ctx.rtcpTimeoutMs,
    onClose: (s, reason) => {
      ctx.sessions.delete(id);
      ctx.sessionClosed(reason, s.connected);
    },
  });
  const etag = `"${answered.ufrag}"`;
  ctx.sessions.set(id, {
    type: "whep",
    key: key.toString(),
    etag,
    pc: answered.pc,
    session,
  });
  return { id, etag, answer: answered.answer };
}

async function startWhip(
  ctx: RouteContext,
  key: StreamKey,
  offer: SdpOffer,
  text: string,
  credentials: Credentials,
): Promise<Created> {
  const h264 = pickH264(codecsOf(offer, "video"));
  const opus = pickOpus(codecsOf(offer, "audio"));
  if (!h264 && !opus) {
    throw new StreamError(
      "Unsupported",
      "Cannot accept WHIP offer: it has none of H264 (video) / opus (audio)",
    );
  }
  const handle = await ctx.host.startPublishAuthorized(key, credentials);
  let answered;
  try {
    answered = await answerOffer(text, {
      mux: ctx.mux,
      hosts: ctx.hosts,
      video: h264 ? [h264] : [],
      audio: opus ? [opus] : [],
      direction: "recvonly",
    });
  } catch (e) {
    ctx.host.endPublish(key, "WHIP answer failed");
    throw e;
  }
  const id = randomId();
  const negotiated = answeredCodecs(answered.answer, offer);
  const codecs = new Map<number, SdpCodec>();
  if (negotiated.video) {
    codecs.set(negotiated.video.payloadType, negotiated.video);
  }
  if (negotiated.audio) {
    codecs.set(negotiated.audio.payloadType, negotiated.audio);
  }
  const session = new WhipSession({
    id,
    pc: answered.pc,
    handle,
    clock: ctx.host.clock,
    codecs,
    connectTimeoutMs: ctx.connectTimeoutMs,
    mediaTimeoutMs: ctx.mediaTimeoutMs,
    onClose: (s, reason) => {
      ctx.sessions.delete(id);
      if (!s.handle.ended) {
        ctx.host.endPublish(key, `WHIP session ended: ${reason}`);
      }
      ctx.sessionClosed(reason, s.connected);
    },
  });
  const etag = `"${answered.ufrag}"`;
  ctx.sessions.set(id, {
    type: "whip",
    key: key.toString(),
    etag,
    pc: answered.pc,
    session,
  });
  return { id, etag, answer: answered.answer };
}

async function sessionRequest(
  request: Request,
  ctx: RouteContext,
  key: StreamKey,
  type: "whip" | "whep",
  id: string,
  headers: Headers,
  refuse: (status: number, why: string) => Response,
): Promise<Response> {
  const entry = ctx.sessions.get(id);
  if (!entry || entry.type !== type || entry.key !== key.toString()) {
    return refuse(404, `Cannot find ${type.toUpperCase()} session ${id}`);
  }
  if (request.method === "DELETE") {
    entry.session.close("DELETE by the client");
    return new Response(null, { status: 200, headers });
  }
  if (request.method !== "PATCH") {
    headers.set("allow", "PATCH, DELETE, OPTIONS");
    return refuse(
      405,
      `Cannot ${request.method} a session: use PATCH or DELETE`,
    );
  }
  const contentType = request.headers.get("content-type")?.split(";")[0]?.trim()
    .toLowerCase();
  if (contentType !== "application/trickle-ice-sdpfrag") {
    return refuse(
      415,
      "Cannot PATCH session: Content-Type must be application/trickle-ice-sdpfrag",
    );
  }
  const ifMatch = request.headers.get("if-match");
  if (ifMatch && ifMatch !== "*" && ifMatch !== entry.etag) {
    return refuse(
      412,
      "Cannot PATCH session: If-Match does not match the session's ETag",
    );
  }
  let fragment;
  try {
    fragment = parseTrickleFragment(await readBounded(request));
  } catch (e) {
    return refuse(
      400,
      e instanceof Error ? e.message : "Cannot read trickle fragment",
    );
  }
  const remote = entry.pc.remoteDescription?.sdp ?? "";
  const remotePwd = /a=ice-pwd:(\S+)/.exec(remote)?.[1];
  if (
    fragment.pwd !== undefined && remotePwd !== undefined &&
    fragment.pwd !== remotePwd
  ) {
    headers.set("allow", "DELETE, OPTIONS");
    return refuse(
      405,
      "Cannot restart ICE: not supported; DELETE the session and POST a new offer",
    );
  }
  for (const c of fragment.candidates) {
    try {
      await addRemoteCandidate(entry.pc, c.candidate, c.mid);
    } catch { /* werift refused one candidate: the others still count */ }
  }
  return new Response(null, { status: 204, headers });
}
