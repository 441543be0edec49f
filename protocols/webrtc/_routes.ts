/**
 * The WHIP/WHEP HTTP signalling (see `webrtc_handler.ts` for the table):
 * request checks, authorization, codec choice, sessions by id.
 *
 * @module
 */
import type { Credentials } from "../../src/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import { StreamKey } from "../../src/mod.ts";
import {
  MAX_SDP_BYTES,
  parseSdpOffer,
  parseTrickleFragment,
  type SdpOffer,
} from "./sdp_offer.ts";
import { addRemoteCandidate } from "./_werift_peer.ts";
import type { RouteContext } from "./_context.ts";
import { startWhep, startWhip } from "./_start_session.ts";

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
      "Location, ETag, Link, Accept-Patch, X-Arcly-Webrtc-Audio, X-Arcly-Webrtc-Stream",
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
    if (created.audioNote) {
      headers.set("x-arcly-webrtc-audio", created.audioNote);
    }
    if (created.playing) headers.set("x-arcly-webrtc-stream", created.playing);
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
