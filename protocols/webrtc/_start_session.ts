/**
 * Starting a WHIP or WHEP session from an accepted offer: authorization
 * (the engine's authenticator), the codec choice (H.264 packetization-mode
 * 1, Opus), the AAC→Opus bridge for WHEP, the werift answer, the session.
 *
 * @module
 */
import type { Credentials, StreamHandle } from "../../src/mod.ts";
import type { StreamKey } from "../../src/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import { parseSdpOffer, type SdpCodec, type SdpOffer } from "./sdp_offer.ts";
import { answerOffer } from "./_werift_peer.ts";
import { feedCodecs } from "./stream_feed.ts";
import { WhepSession } from "./whep_session.ts";
import { WhipSession } from "./whip_session.ts";
import type { RouteContext } from "./_context.ts";

function randomId(): string {
  const b = new Uint8Array(18);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  );
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

/** A created session. */
export interface Created {
  id: string;
  etag: string;
  answer: string;
  /** Why audio is not sent (WHEP of an AAC source without a bridge). */
  audioNote?: string;
  /** The key actually played (the `~opus` bridge), when not the requested one. */
  playing?: string;
}

/** Authorize, choose codecs, answer and register a WHEP viewer. */
export async function startWhep(
  ctx: RouteContext,
  key: StreamKey,
  offer: SdpOffer,
  text: string,
  credentials: Credentials,
): Promise<Created> {
  let handle = await ctx.host.authorizePlay(key, credentials);
  let codecs = feedCodecs(handle.gopCache.replay());
  let audioNote: string | undefined;
  if (codecs.audio === undefined && codecs.unsupported.includes("aac")) {
    const bridged = await openOpusBridge(ctx, key.toString(), credentials);
    if (bridged) {
      handle = bridged;
      codecs = feedCodecs(bridged.gopCache.replay());
    } else {
      audioNote = "none: AAC source and no AAC->Opus bridge ready; video only";
    }
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
  const registered: { client: { unregister(): void } | undefined } = {
    client: undefined,
  };
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
    nativeSrtp: ctx.nativeSrtp,
    // A viewer's PLI reaches the stream's WHIP publisher (rate-limited
    // there); other sources cannot make a keyframe on demand.
    onKeyframeRequest: () => {
      const playing = handle.key.toString();
      for (const entry of ctx.sessions.values()) {
        if (entry.type === "whip" && entry.key === playing) {
          (entry.session as WhipSession).requestKeyframe();
        }
      }
    },
    onClose: (s, reason) => {
      registered.client?.unregister();
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
  // Listed in the engine's clients (the control API); a kick closes it.
  registered.client = ctx.host.clients?.register({
    kind: "viewer",
    protocol: "webrtc",
    stream: key.toString(),
    remoteAddr: credentials.remoteAddr ?? null,
  }, (reason) => session.close(reason));
  return {
    id,
    etag,
    answer: answered.answer,
    ...(audioNote ? { audioNote } : {}),
    ...(handle.key.toString() !== key.toString()
      ? { playing: handle.key.toString() }
      : {}),
  };
}

/** The `{key}~opus` bridge of an AAC source, or undefined (video only). */
async function openOpusBridge(
  ctx: RouteContext,
  key: string,
  credentials: Credentials,
): Promise<StreamHandle | undefined> {
  const bridgedKey = `${key}${ctx.opusBridgeSuffix}`;
  try {
    if (ctx.ensureOpus && !ctx.host.getStream(bridgedKey)) {
      let cancel: (() => void) | undefined;
      const timeout = new Promise<never>((_, reject) => {
        cancel = ctx.host.clock.setTimer(
          ctx.bridgeTimeoutMs,
          () => reject(new Error("bridge timeout")),
        );
      });
      try {
        await Promise.race([ctx.ensureOpus(key), timeout]);
      } finally {
        cancel?.();
      }
    }
    const bridged = await ctx.host.authorizePlay(bridgedKey, credentials);
    // The bridge publishes its first frame before (or without) audio: wait
    // a little for the Opus header.
    for (let waited = 0; waited < ctx.bridgeTimeoutMs; waited += 50) {
      if (feedCodecs(bridged.gopCache.replay()).audio === "opus") {
        return bridged;
      }
      if (bridged.ended) return undefined;
      await new Promise<void>((r) => ctx.host.clock.setTimer(50, r));
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Authorize, choose codecs, answer and register a WHIP publisher. */
export async function startWhip(
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
