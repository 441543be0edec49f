/**
 * The complete origin the CLI runs: one {@linkcode Engine} with RTMP (and
 * RTMPS) ingest/play, HTTP egress (HLS / LL-HLS from `hlsDir`, HTTP-FLV,
 * WebSocket-FLV, `/api/streams`, `/metrics`, health, dashboard), automatic HLS
 * packaging, optional recording, access control, and the demo clip.
 *
 * Shutdown order (what Ctrl-C does): the engine stops accepting, ends every
 * stream (HLS playlists get `EXT-X-ENDLIST`, recordings are finalised), waits
 * for viewers to drain up to its deadline, then the packagers and recorders
 * are awaited so nothing acknowledged is lost.
 *
 * @module
 */
import {
  allOf,
  ConnectionGate,
  Engine,
  RateLimiter,
  SignedUrlAuthenticator,
  type StreamAuthenticator,
  StreamKey,
  TokenAuthenticator,
  WebhookAuthenticator,
} from "../mod.ts";
import { FsStorage } from "../media/storage/mod.ts";
import { RtmpHandler } from "../protocols/rtmp/mod.ts";
import { RtspHandler } from "../protocols/rtsp/mod.ts";
import { rtspBanner, safeUrl, startRtspPulls } from "./rtsp_pull.ts";
import { startSrtPushes } from "./srt_push.ts";
import { SrtHandler } from "../protocols/srt/mod.ts";
import { HttpHandler, PrometheusObserver } from "../protocols/http/mod.ts";
import { resolveTcpBackend } from "../protocols/net/mod.ts";
import type { OriginOptions } from "./options.ts";
import { ControlApiWiring } from "./control_api.ts";
import {
  HlsPackaging,
  HlsRetention,
  RecordingRetention,
  StreamRecorder,
} from "../pipelines/mod.ts";
import { RecordingIndex } from "../media/recording/mod.ts";
import { recordingsApiRoutes } from "../protocols/http/ops/recordings_routes.ts";
import { MpegTsDemuxer } from "../media/mpegts/mod.ts";
import {
  AbrPlaylists,
  ThumbnailRoutes,
  TranscodeService,
} from "../transcode/mod.ts";
import { loadClip, loopingClipSource } from "./demo_source.ts";
import { edgePublishRefusal, startCluster } from "./cluster.ts";
import { startMemoryReducer } from "./memory_reducer.ts";
import {
  defaultMaxConnections,
  readOpenFilesLimit,
  RefusalLog,
} from "./connection_limits.ts";

/** A running origin. */
export interface RunningOrigin {
  /** The engine. */
  engine: Engine;
  /** Bound RTMP port, or null. */
  rtmpPort: number | null;
  /** Bound RTSP port, or null (off, or it could not listen). */
  rtspPort: number | null;
  /** Bound RTSPS port, or null (off, or it could not listen). */
  rtspsPort: number | null;
  /** Bound HTTP port. */
  httpPort: number;
  /** Stop gracefully (same as Ctrl-C). */
  stop(): Promise<void>;
  /** Resolves once everything has shut down. */
  finished: Promise<void>;
}

/** Build the authenticator the flags ask for (allow-all when none). */
export function authenticatorFor(
  options: OriginOptions,
): StreamAuthenticator | null {
  const list: StreamAuthenticator[] = [];
  if (options.publishToken !== null || options.playToken !== null) {
    list.push(
      new TokenAuthenticator({
        ...(options.publishToken !== null
          ? { publishToken: options.publishToken }
          : {}),
        ...(options.playToken !== null ? { playToken: options.playToken } : {}),
      }),
    );
  }
  if (options.signSecret !== null) {
    list.push(new SignedUrlAuthenticator({ secret: options.signSecret }));
  }
  if (options.authWebhook !== null) {
    list.push(new WebhookAuthenticator({ url: options.authWebhook }));
  }
  if (list.length === 0) return null;
  return list.length === 1 ? list[0]! : allOf(list);
}

/** Start the origin described by `options`; `log` gets human-readable lines. */
export async function startOrigin(
  options: OriginOptions,
  log: (line: string) => void,
): Promise<RunningOrigin> {
  const metrics = new PrometheusObserver();
  // Refused connections: one log line per interval, not one per refusal.
  let refusals: RefusalLog | null = null;
  const builder = Engine.builder()
    .idleTimeout(options.idleTimeoutMs)
    // Encoders drop for a second all the time (OBS reconnects, mobile
    // networks): every app waits for its publisher to come back.
    .defaultApplication({ publisherGraceMs: options.publisherGraceMs })
    .observer(metrics)
    .audit(metrics)
    .audit({ record: (event) => refusals?.record(event) });
  const auth = authenticatorFor(options);
  if (options.edge) {
    builder.authenticator(
      auth ? allOf([edgePublishRefusal, auth]) : edgePublishRefusal,
    );
  } else if (auth) builder.authenticator(auth);
  const engine = builder.build();
  metrics.attach(engine);
  refusals = new RefusalLog({ clock: engine.clock, log });
  // Each connection is a file descriptor: the default cap fits the process's
  // open-files limit (an explicit --max-connections wins).
  const listeners = 1 + (options.rtmp ? 1 : 0) +
    (options.rtmps && options.tls ? 1 : 0);
  const openFiles = options.maxConnections === null
    ? await readOpenFilesLimit()
    : null;
  // auto: libc sockets where they run (less memory and CPU per viewer)
  const tcpBackend = resolveTcpBackend(options.tcpBackend);
  const maxConnections = options.maxConnections ??
    defaultMaxConnections(openFiles, listeners);

  await Deno.mkdir(options.hlsDir, { recursive: true });
  const hlsStorage = new FsStorage({ root: options.hlsDir });
  const packaging = new HlsPackaging({
    engine,
    storage: hlsStorage,
    format: options.hlsFormat,
    lowLatency: options.lowLatency,
    targetDurationMs: options.segmentMs,
    windowSize: options.windowSize,
    ...(options.hlsDvrMs !== null ? { dvrWindowMs: options.hlsDvrMs } : {}),
    onEvent: (key, event) => {
      metrics.countHlsEvent(event);
      if (event.type === "storageError") {
        log(
          `hls ${key}: storage error: ${
            (event as { error?: Error }).error?.message
          }`,
        );
      }
    },
  });
  // Transcoding (ffmpeg child processes, --allow-run=ffmpeg): the --abr
  // renditions of every stream, and the audio bridges (live/cam~opus,
  // live/cam~aac) started on demand when a viewer asks for them.
  const transcode = new TranscodeService({
    host: engine,
    ladders: options.abr ? { "*": options.abr } : {},
    maxTranscoders: options.transcodeMax,
    ladderOutput: options.abrOutput,
    createTsReader: () => new MpegTsDemuxer(),
    onEvent: (e) => {
      if (e.type === "restarting" || e.type === "refused") {
        log(`transcode ${e.key}: ${e.type}: ${e.reason}`);
      }
    },
  });
  const abrPlaylists = new AbrPlaylists({ host: engine, service: transcode });
  // GET /{app}/{name}/thumbnail.jpg and /api/transcode.
  const transcodeRoutes = [
    new ThumbnailRoutes({ host: engine }),
    transcode.routes(),
  ];
  // Ended streams' HLS folders go some minutes after their last write
  // (folders an earlier run left are cleaned at start-up).
  const hlsRetention = options.hlsRetentionMs === null
    ? null
    : new HlsRetention({
      storage: hlsStorage,
      clock: engine.clock,
      now: Date.now,
      retentionMs: options.hlsRetentionMs,
      isLive: (key) => engine.getStream(key) !== undefined,
      forget: (key) => packaging.forget(key),
    });
  let recorder: StreamRecorder | null = null;
  let recordingsApi: ReturnType<typeof recordingsApiRoutes> | null = null;
  let recordRetention: RecordingRetention | null = null;
  if (options.recordDir !== null) {
    await Deno.mkdir(options.recordDir, { recursive: true });
    const recordStorage = new FsStorage({ root: options.recordDir });
    const recordingIndex = new RecordingIndex({ storage: recordStorage });
    // /api/v1/recordings…: its DELETE is checked by the API v1 router.
    recordingsApi = recordingsApiRoutes({
      storage: recordStorage,
      index: recordingIndex,
      adminChecked: true,
    });
    recordRetention = new RecordingRetention({
      storage: recordStorage,
      index: recordingIndex,
      clock: engine.clock,
      now: Date.now,
      maxAgeMs: options.recordRetentionMs,
      maxBytes: options.recordMaxBytes,
      onDelete: (d) => log(`recording ${d.key} deleted (${d.reason})`),
    });
    recorder = new StreamRecorder(engine, {
      storage: recordStorage,
      format: options.recordFormat,
      onRecording: (r) =>
        log(
          `recorded ${r.key}: ${r.fragments} fragments, ${r.bytes} bytes${
            r.error ? ` (error: ${r.error})` : ""
          }`,
        ),
    });
  }

  const tls = options.tls
    ? {
      cert: await Deno.readTextFile(options.tls.certFile),
      key: await Deno.readTextFile(options.tls.keyFile),
    }
    : null;
  // One gate for RTMP and RTMPS: a client IP's connections count across both.
  const gate = options.maxConnectionsPerIp === null
    ? null
    : new ConnectionGate({
      maxConnections,
      maxPerIp: options.maxConnectionsPerIp,
    });
  const limits = {
    maxConnections,
    ...(gate ? { gate } : {}),
  };
  const rtmp = options.rtmp
    ? new RtmpHandler({
      ...options.rtmp,
      ...limits,
      tcpBackend,
    })
    : null;
  const rtmps = options.rtmps && tls
    ? new RtmpHandler({ ...options.rtmps, tls, ...limits })
    : null;
  const rtsp = options.rtsp
    ? new RtspHandler({ ...options.rtsp, maxConnections })
    : null;
  // RTSPS: RTP only interleaved on the TLS connection (UDP would be clear text)
  const rtsps = options.rtsps && tls
    ? new RtspHandler({
      ...options.rtsps,
      tls,
      udpRtpPort: false,
      maxConnections,
    })
    : null;
  // SRT is UDP: one socket, no file descriptor per connection
  const srt = options.srt
    ? new SrtHandler({
      ...options.srt,
      maxConnections,
      ...(options.srtPassphrase !== null
        ? { passphrase: options.srtPassphrase }
        : {}),
    })
    : null;
  // HTTP gets its own gate: a browser's keep-alive connections and an HLS
  // player's do not eat into the same IP's RTMP quota.
  const httpGate = options.maxConnectionsPerIp === null
    ? null
    : new ConnectionGate({
      maxConnections,
      maxPerIp: options.maxConnectionsPerIp,
    });
  // WebRTC (werift) is loaded only when it can run: werift's logger reads
  // the environment and its ICE agent lists network interfaces.
  const webrtcBlockedBy = options.webrtcUdp === null
    ? null
    : webrtcMissingPermission(options.webrtcUdp);
  const webrtc = options.webrtcUdp && webrtcBlockedBy === null
    ? new (await import("../protocols/webrtc/mod.ts")).WebRtcHandler({
      udp: options.webrtcUdp,
      ...(options.webrtcHosts.length ? { hosts: options.webrtcHosts } : {}),
      // WHEP of an AAC source plays {key}~opus (the transcoder's bridge).
      ensureOpus: (key: string) => transcode.ensureAudio(key, "opus"),
    })
    : null;
  // The control API (/api/v1): listener URLs once bound, connections, the
  // client cap; protocol servers with collectMetrics() feed /metrics.
  const control = new ControlApiWiring(
    engine,
    metrics,
    maxConnections,
    options.segmentMs,
  );
  const http = new HttpHandler({
    extraRoutes: [...(webrtc ? [webrtc.routes] : []), ...transcodeRoutes],
    ...options.http,
    ...(options.https && tls ? tls : {}),
    maxConnections,
    ...(httpGate ? { gate: httpGate } : {}),
    ...(options.reusePort ? { reusePort: true } : {}),
    tcpBackend,
    storage: hlsStorage,
    hls: abrPlaylists.wrap(packaging),
    apiToken: options.apiToken,
    api: {
      ...control.apiOptions(),
      ...(recordingsApi ? { recordings: recordingsApi } : {}),
    },
    metrics,
    ...(options.httpRate === null ? {} : {
      rateLimiter: new RateLimiter({
        ratePerSecond: options.httpRate,
        burst: Math.ceil(options.httpRate * 2),
      }),
    }),
  });
  const handlers = [
    http,
    ...(rtmp ? [rtmp] : []),
    ...(rtmps ? [rtmps] : []),
    ...(srt ? [srt] : []),
    ...(webrtc ? [webrtc] : []),
  ];
  control.add(http, rtmp, rtmps, srt, rtsp, rtsps, webrtc);
  const controller = new AbortController();
  const serving = engine.serve(
    [...handlers, ...(rtsp ? [rtsp] : []), ...(rtsps ? [rtsps] : [])],
    controller.signal,
  );
  const ports = await Promise.race([
    Promise.all([
      http.listening,
      rtmp?.listening,
      rtmps?.listening,
      srt?.listening,
    ]),
    serving.then(() => {
      throw new Error(
        "Cannot start the origin: a listener stopped at once (port in use?)",
      );
    }),
  ]);
  const [httpAddr, rtmpAddr, rtmpsAddr, srtAddr] = ports;

  // RTSP: a port in use is logged; the origin starts without it.
  const rtspAddr = rtsp
    ? await rtsp.listening.catch((error) => {
      log(`rtsp: cannot listen: ${(error as Error).message}`);
      return null;
    })
    : null;
  const rtspsAddr = rtsps
    ? await rtsps.listening.catch((error) => {
      log(`rtsps: cannot listen: ${(error as Error).message}`);
      return null;
    })
    : null;
  const pulls = startRtspPulls(
    engine,
    options.pulls,
    options.pullOnDemand,
    controller.signal,
    log,
  );
  const pushes = startSrtPushes(engine, options.pushes, controller.signal, log);

  const demo = options.demo
    ? (async () => {
      const frames = await loadClip();
      await engine.pumpSource(
        StreamKey.parse("live/demo"),
        loopingClipSource(frames),
        { signal: controller.signal },
      );
    })().catch((error) => {
      if (!controller.signal.aborted) {
        log(`demo source stopped: ${(error as Error).message}`);
      }
    })
    : Promise.resolve();

  const host = (
    h: string,
  ): string => (h === "0.0.0.0" || h === "::" ? "localhost" : h);
  const scheme = options.https ? "https" : "http";
  const web = `${scheme}://${host(httpAddr.hostname)}:${httpAddr.port}`;
  const url = (s: string, a: { hostname: string; port: number } | null) =>
    a ? `${s}://${host(a.hostname)}:${a.port}` : null;
  Object.assign(control.endpoints, {
    http: web,
    rtmp: url("rtmp", rtmpAddr ?? null),
    rtmps: url("rtmps", rtmpsAddr ?? null),
    srt: url("srt", srtAddr ?? null),
    rtsp: url("rtsp", rtspAddr ?? null),
    rtsps: url("rtsps", rtspsAddr ?? null),
  });
  const cluster = startCluster(
    options,
    engine,
    web,
    log,
  );

  const reducer = startMemoryReducer(engine.clock, options.gcStepMb);
  const finished = (async () => {
    await serving;
    reducer?.stop();
    refusals?.close();
    await cluster.close();
    await demo;
    await pulls;
    await pushes;
    await transcode.close();
    await packaging.close();
    await recorder?.close();
    await recordRetention?.close();
    await hlsRetention?.close();
  })();

  log(`arcly-stream origin`);
  log(`  dashboard      ${web}/`);
  if (rtmpAddr) {
    log(
      `  publish (RTMP) rtmp://${
        host(rtmpAddr.hostname)
      }:${rtmpAddr.port}/live/<name>`,
    );
  }
  if (rtmpsAddr) {
    log(
      `  publish (RTMPS) rtmps://${
        host(rtmpsAddr.hostname)
      }:${rtmpsAddr.port}/live/<name>`,
    );
  }
  if (srtAddr) {
    const srtBase = `srt://${host(srtAddr.hostname)}:${srtAddr.port}`;
    const secret = options.srtPassphrase !== null ? "&passphrase=…" : "";
    log(`  publish (SRT)  ${srtBase}?streamid=publish:live/<name>${secret}`);
    log(`  play (SRT)     ${srtBase}?streamid=read:live/<name>${secret}`);
  }
  for (
    const line of rtspBanner(
      rtspAddr,
      options.pulls,
      options.pullOnDemand,
      host,
    )
  ) log(line);
  for (const p of options.pushes) {
    log(`  push (SRT)     ${p.key} -> ${safeUrl(p.url)}`);
  }
  if (rtspsAddr) {
    const base = `rtsps://${host(rtspsAddr.hostname)}:${rtspsAddr.port}`;
    log(`  publish (RTSPS) ${base}/live/<name>`);
    log(`  play (RTSPS)   ${base}/live/<name> (TCP only)`);
  }
  log(
    `  play           ${web}/live/<name>/index.m3u8 (HLS${
      options.lowLatency ? ", LL-HLS" : ""
    }), ${web}/live/<name>.flv (HTTP-FLV, WebSocket-FLV)`,
  );
  if (webrtcBlockedBy !== null) {
    log(
      `  WebRTC         off: WHIP/WHEP need ${webrtcBlockedBy} (deno task start grants it; --webrtc-udp off silences this)`,
    );
  }
  const udp = webrtc
    ? await webrtc.listening.catch((error) => {
      log(`  WebRTC         off: ${(error as Error).message}`);
      return null;
    })
    : null;
  control.endpoints.webrtc = webrtc !== null && udp !== null;
  if (webrtc && udp) {
    log(
      `  WebRTC         WHIP ${web}/live/<name>/whip, WHEP ${web}/live/<name>/whep (ICE UDP ${udp.hostname}:${udp.port})`,
    );
  }
  log(`  stats          ${web}/api/streams   metrics ${web}/metrics`);
  // Whether changes are allowed, never the token itself.
  const apiAccess = options.apiToken !== null
    ? "changes need Authorization: Bearer <your --api-token>"
    : "read-only: --api-token enables kicks";
  log(`  control API    ${web}/api/v1/openapi.json (${apiAccess})`);
  log(
    `  limits         ${maxConnections} connections per listener${
      options.maxConnections !== null
        ? ""
        : openFiles === null
        ? " (open-files limit unreadable: fallback)"
        : ` (from the open-files limit ${openFiles}, ${listeners} listener${
          listeners === 1 ? "" : "s"
        })`
    }${
      options.maxConnectionsPerIp === null
        ? ""
        : `, ${options.maxConnectionsPerIp} per client IP`
    } (refusals: ${web}/metrics, audit clientDropped)`,
  );
  if (options.signSecret !== null) {
    log(
      `  signed URLs    deno task start sign live/<name> --secret … --action play|publish`,
    );
  }
  log(`  HLS files      ${options.hlsDir}/{app}/{name}/index.m3u8`);
  log(
    `  TCP sockets    ${
      tcpBackend === "ffi"
        ? "libc over FFI, one epoll per listener (--tcp-backend)"
        : options.tcpBackend === "auto"
        ? "Deno's (libc needs Linux and --allow-ffi; --tcp-backend)"
        : "Deno's (--tcp-backend)"
    }`,
  );
  log(
    `  memory         ${
      reducer !== null
        ? `a major GC once dead media buffers grow by ${options.gcStepMb} MiB (or half)${
          reducer.trims ? ", then malloc_trim" : ""
        }`
        : options.gcStepMb === 0
        ? "V8 alone collects dead media buffers (--gc-step-mb 0)"
        : "V8 alone collects dead media buffers (add --v8-flags=--expose-gc to collect them every --gc-step-mb)"
    }`,
  );
  if (options.recordDir) {
    log(
      `  recordings     ${options.recordDir}/{app}/{name}-{time}.${
        options.recordFormat.replace("hls-", "")
      }`,
    );
  }
  for (const line of cluster.banner) log(line);
  if (options.demo) {
    log(
      `  demo stream    ${web}/live/demo/index.m3u8 and ${web}/live/demo.flv (looping sample clip)`,
    );
  }
  if (rtmpAddr) {
    log(
      `  e.g. ffmpeg -re -i input.mp4 -c:v libx264 -c:a aac -f flv rtmp://${
        host(rtmpAddr.hostname)
      }:${rtmpAddr.port}/live/cam${
        // Where the token goes, never the token itself (logs are not secret).
        options.publishToken !== null ? "?token=<your --publish-token>" : ""}`,
    );
  }
  return {
    engine,
    rtmpPort: rtmpAddr?.port ?? null,
    rtspPort: rtspAddr?.port ?? null,
    rtspsPort: rtspsAddr?.port ?? null,
    httpPort: httpAddr.port,
    stop: async () => {
      controller.abort();
      await finished;
    },
    finished,
  };
}

/** The permission WebRTC lacks (as a flag to add), or null when it can run. */
function webrtcMissingPermission(
  udp: { hostname: string; port: number },
): string | null {
  const granted = (d: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(d).state === "granted";
  if (!granted({ name: "env" })) return "--allow-env";
  if (!granted({ name: "sys", kind: "networkInterfaces" })) {
    return "--allow-sys=networkInterfaces";
  }
  const host = udp.port === 0 ? udp.hostname : `${udp.hostname}:${udp.port}`;
  if (!granted({ name: "net", host })) return `--allow-net=${host}`;
  return null;
}
