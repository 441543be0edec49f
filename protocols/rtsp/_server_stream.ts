/**
 * The media side of PLAY and RECORD for the server's methods: a player's
 * {@linkcode PlayEgress} on the kernel's egress seam (with `RTP-Info` from
 * its replay) and a publisher's {@linkcode RecordIngest} into
 * `publishFrame`.
 *
 * @module
 */
import type { StreamHost } from "../../src/contracts.ts";
import type { StreamHandle } from "../../src/stream_handle.ts";
import { StreamError } from "../../media/stream_error.ts";
import type { RtspHeaders, RtspRequest } from "./message.ts";
import { formatRtpInfo } from "./headers.ts";
import { isDisconnect } from "../net/mod.ts";
import { RtspProtocolError } from "./message.ts";
import { buildSdp } from "../../media/sdp/mod.ts";
import type { ServerSession } from "./_session.ts";
import type { RtpStreamFormat } from "./_rtp_egress.ts";
import { PlayEgress } from "./_play.ts";
import { type AnnouncedTrack, RecordIngest } from "./_record.ts";
import { targetOf } from "./_server_target.ts";
import type { ConnectionPort, ServerContext } from "./_server_context.ts";

/** What the media side needs from a connection. */
export interface MethodEnv {
  conn: ConnectionPort;
  host: StreamHost;
  ctx: ServerContext;
}

/**
 * Open a player's egress; sets `RTP-Info` and `Range`. `after` (run once the
 * PLAY reply is written) starts sending; `ended` runs when it stops.
 */
export function startPlay(
  env: MethodEnv,
  req: RtspRequest,
  headers: RtspHeaders,
  s: ServerSession,
  handle: StreamHandle,
  ended: () => void,
): { play: PlayEgress; after: () => void } {
  const { conn, host, ctx } = env;
  const format = ctx.egress.cacheOf(handle).format as RtpStreamFormat;
  const session = ctx.egress.open(handle, {
    protocol: "rtsp",
    remoteAddr: conn.remoteAddr,
  });
  const play = new PlayEgress(session, format, s.tracks, {
    write: (b) => conn.write(b),
    udp: ctx.udp,
    clock: host.clock,
    counters: ctx.counters,
  });
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
  const after = (): void => {
    play.run().catch((error) => {
      if (!isDisconnect(error)) {
        host.events.emit({ type: "handlerError", name: ctx.name, error });
      }
    }).finally(ended);
  };
  return { play, after };
}

/** A publisher's ingest: its announced tracks into `handle`. */
export function recordIngest(
  env: MethodEnv,
  s: ServerSession,
  tracks: AnnouncedTrack[],
  handle: StreamHandle,
): RecordIngest {
  const { conn, host, ctx } = env;
  return new RecordIngest(
    tracks,
    {
      frames: (frames) => {
        try {
          for (const f of frames) handle.publishFrame(f);
        } catch (error) {
          if (error instanceof StreamError && error.code === "Closed") {
            conn.close();
          } else throw error;
        }
      },
      unsupported: (track, error) =>
        host.events.emit({
          type: "handlerError",
          name: ctx.name,
          error: new StreamError(
            error.code,
            `Cannot ingest RTSP track ${track} of ${s.path}: ${error.message}`,
          ),
        }),
    },
    () => host.clock.now(),
    { reorder: [...s.tracks.values()].some((t) => t.udp !== undefined) },
  );
}

/**
 * Wait (at most 5 s, engine clock) for a young stream's codec configs, so
 * that its first DESCRIBE lists every track. An encoder's first audio and
 * video configs arrive within a few hundred ms of each other, either first
 * (a video config waits for a keyframe; an RTP audio config comes with the
 * first audio packet). So the wait ends once both kinds are there, or when
 * the stream is 1 s old with a video config (taken as video-only), or 4 s
 * old with any config (taken as audio-only). A later DESCRIBE adds tracks.
 */
export async function waitForConfigs(
  host: StreamHost,
  handle: StreamHandle,
): Promise<void> {
  const clock = host.clock;
  const start = clock.now();
  while (clock.now() - start < 5000 && !handle.ended) {
    const configs = handle.gopCache.configFrames();
    const age = clock.now() - handle.startedAt;
    const video = configs.some((f) => f.kind === "video");
    const audio = configs.some((f) => f.kind === "audio");
    if (
      (video && (audio || age >= 1000)) || (configs.length > 0 && age >= 4000)
    ) return;
    await new Promise<void>((r) => clock.setTimer(100, r));
  }
}

/**
 * The DESCRIBE SDP of a stream: one media section per track of its RTP
 * format (`a=control:trackID=N`), aggregate control `*`.
 *
 * @throws {RtspProtocolError} 415 when no track can be carried
 */
export function describeSdp(
  ctx: ServerContext,
  handle: StreamHandle,
  name: string,
): Uint8Array {
  const format = ctx.egress.cacheOf(handle).format as RtpStreamFormat;
  format.refresh(handle.gopCache.configFrames());
  if (format.tracks.length === 0) {
    throw new RtspProtocolError(
      415,
      `Cannot describe ${name}: no track with a codec config RTP can carry (h264, h265, aac, opus)`,
      "Unsupported",
    );
  }
  return new TextEncoder().encode(buildSdp({
    origin: { sessionId: String(Date.now()), address: "0.0.0.0" },
    sessionName: name,
    connection: "IN IP4 0.0.0.0",
    timing: "0 0",
    control: "*",
    attributes: [["range", "npt=0-"]],
    media: format.tracks.map((t) => t.media),
  }));
}
