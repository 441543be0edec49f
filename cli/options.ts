/**
 * Command-line flags of the arcly-stream origin, parsed with `node:util`
 * `parseArgs` and validated into an {@linkcode OriginOptions} object. Pure: no
 * I/O, so every flag and every error is unit-tested.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseLadder, type RenditionSpec } from "../transcode/mod.ts";

/** A `host:port` pair to listen on. */
export interface ListenAddress {
  /** Interface to bind, e.g. `0.0.0.0` or `127.0.0.1`. */
  hostname: string;
  /** TCP port (0 picks a free one). */
  port: number;
}

/** Everything the origin needs, as parsed from flags. */
export interface OriginOptions {
  /** RTMP ingest/play address, or null when RTMP is off. */
  rtmp: ListenAddress | null;
  /** RTMPS address (needs `tls`), or null. */
  rtmps: ListenAddress | null;
  /** RTSP publish/play address (TCP; RTP also on UDP 8000-8001), or null when off. */
  rtsp: ListenAddress | null;
  /** RTSPS address (TLS with `tls`; RTP interleaved on the TLS connection only), or null. */
  rtsps: ListenAddress | null;
  /** RTSP cameras pulled into streams (`--pull URL=app/name`, repeatable). */
  pulls: { url: string; key: string }[];
  /** Pull the cameras only while someone watches (`--pull-on-demand`). */
  pullOnDemand: boolean;
  /** Streams pushed to SRT listeners in caller mode (`--push APP/NAME=srt://…`, repeatable). */
  pushes: { key: string; url: string }[];
  /**
   * SRT ingest/read address (UDP), or null when SRT is off. Default: port
   * 8890 on `--rtmp`'s interface (0.0.0.0 when RTMP is off); an ephemeral
   * `--rtmp` port (0) makes it ephemeral too.
   */
  srt: ListenAddress | null;
  /** Passphrase SRT callers must encrypt with (10–79 characters), or null. */
  srtPassphrase: string | null;
  /** HTTP address (HLS, LL-HLS, HTTP-FLV, WS-FLV, API, metrics, dashboard). */
  http: ListenAddress;
  /** Certificate and key files for RTMPS and HTTPS. */
  tls: { certFile: string; keyFile: string } | null;
  /** Serve HTTP over TLS too. */
  https: boolean;
  /** Folder the live HLS output is written to (`{hlsDir}/{app}/{name}/index.m3u8`). */
  hlsDir: string;
  /** HLS segment container. */
  hlsFormat: "ts" | "fmp4";
  /** Low-latency HLS (partial segments, blocking reload). */
  lowLatency: boolean;
  /** Target segment duration in milliseconds. */
  segmentMs: number;
  /** Segments kept in the live window. */
  windowSize: number;
  /** Folder to record every stream into, or null. */
  recordDir: string | null;
  /** Recording format. */
  recordFormat: "mp4" | "flv" | "hls-ts" | "hls-fmp4";
  /** Delete recordings older than this, ms (`--record-retention 7d`), or null to keep them. */
  recordRetentionMs: number | null;
  /** Delete the oldest recordings beyond this many bytes (`--record-max-size 50GB`), or null. */
  recordMaxBytes: number | null;
  /** Delete an ended stream's live HLS folder this long after its last write, ms; null keeps it. */
  hlsRetentionMs: number | null;
  /** Live HLS DVR (time-shift) window, ms (`--hls-dvr MINUTES`), or null: `--window` segments. */
  hlsDvrMs: number | null;
  /** Static token required to publish (`?token=`), or null. */
  publishToken: string | null;
  /** Admin token of the control API's changes (`DELETE /api/v1/…`), or null: refused. */
  apiToken: string | null;
  /** Static token required to play, or null. */
  playToken: string | null;
  /** HMAC secret for signed, expiring URLs, or null. */
  signSecret: string | null;
  /** Webhook URL that authorizes publish/play, or null. */
  authWebhook: string | null;
  /** Publish the bundled sample clip in a loop as `live/demo`. */
  demo: boolean;
  /**
   * Maximum concurrent connections per listener, or null: derived at start
   * from the open-files limit (see `cli/connection_limits.ts`).
   */
  maxConnections: number | null;
  /** Maximum concurrent RTMP connections per client IP (a `ConnectionGate`), or null for no per-IP cap. */
  maxConnectionsPerIp: number | null;
  /** HTTP requests per second per client IP (burst of twice that), or null for no limit. */
  httpRate: number | null;
  /**
   * External memory (dead media buffers) that may pile up before the
   * origin asks V8 for a major GC, MiB; 0: never (see `cli/memory_reducer.ts`).
   */
  gcStepMb: number;
  /** Milliseconds without frames before a stream is reaped. */
  idleTimeoutMs: number;
  /** How long a stream waits for its publisher to come back before it ends, ms. */
  publisherGraceMs: number;
  /** Redis URL of the cluster's stream directory (`--cluster`), or null. */
  cluster: string | null;
  /** Edge mode: pull streams this engine does not have from their origin. */
  edge: boolean;
  /** An edge's fixed origin (HTTP base URL) when there is no `--cluster`, or null. */
  origin: string | null;
  /** The HTTP base URL others reach this origin at (default from `--http`). */
  advertise: string | null;
  /** Share the HTTP port with other processes (SO_REUSEPORT; several edges on one host). */
  reusePort: boolean;
  /**
   * Plain-TCP implementation of RTMP and HTTP (`--tcp-backend`, default
   * `auto`: libc over FFI where it can run, else Deno's).
   */
  tcpBackend: "auto" | "deno" | "ffi";
  /** ABR ladder of every stream (`--abr 720p,480p@800k`), or null for none. */
  abr: RenditionSpec[] | null;
  /** Most ffmpeg transcoders at once (`--transcode-max`, default 4). */
  transcodeMax: number;
  /** How a ladder's renditions reach us (`--abr-output`; undefined: `ticked` with --allow-ffi on Linux, else `packet`). */
  abrOutput: "packet" | "buffered" | "ticked" | undefined;
  /** The WebRTC (WHIP/WHEP) ICE UDP port for every session, or null when WebRTC is off. */
  webrtcUdp: ListenAddress | null;
  /** Addresses advertised as ICE host candidates (NAT, containers); empty: derived from `webrtcUdp`. */
  webrtcHosts: string[];
  /** Print usage and exit. */
  help: boolean;
}

/** Usage text printed by `--help`. */
export const USAGE: string =
  `arcly-stream origin: RTMP in; HLS, LL-HLS, HTTP-FLV, WebSocket-FLV, stats, metrics and a dashboard out.

Usage: deno run <permissions> cli.ts [flags]
       deno run cli.ts sign APP/NAME --secret S [--action play|publish] [--ttl SECONDS] [--base URL]

Permissions: \`deno task start\` grants --allow-net (every address the flags name,
the webhook and pull URLs), --allow-read=., --allow-write=./hls,./rec and
--allow-run=ffmpeg; with --hls-dir or --record elsewhere, run
\`deno run --allow-net --allow-read --allow-write=DIR… cli.ts …\` yourself.

Listen:
  --rtmp HOST:PORT          RTMP ingest and play            (default 0.0.0.0:1935, "off" disables)
  --http HOST:PORT          HTTP egress and dashboard       (default 0.0.0.0:8080)
  --rtmps HOST:PORT         RTMPS (needs --cert and --key)
  --rtsp HOST:PORT          RTSP publish and play           (default 0.0.0.0:8554, "off" disables;
                            RTP over TCP, or UDP from ports 8000-8001)
  --rtsps HOST:PORT         RTSP over TLS (needs --cert and --key; RTP over the TLS connection only)
  --srt HOST:PORT           SRT ingest and read (UDP)       (default: --rtmp's host, port 8890; "off" disables)
  --srt-passphrase P        require SRT encryption with P (10 to 79 characters)
  --cert FILE --key FILE    TLS certificate and key (PEM) for RTMPS, RTSPS and --https
  --https                   serve HTTP over TLS

HLS:
  --hls-dir DIR             where live HLS is written       (default ./hls)
  --hls-format ts|fmp4      segment container               (default fmp4)
  --no-ll-hls               plain HLS only (no partial segments)
  --segment SECONDS         target segment duration         (default 2)
  --window N                segments in the live playlist   (default 6)
  --hls-dvr MINUTES         DVR / time-shift: the live playlist keeps the last MINUTES
                            of segments (sliding window, seekable; overrides --window)
  --hls-retention T         delete an ended stream's HLS folder T after its last write
                            (default 5m; s, m, h, d; bare number = minutes; "off" keeps it);
                            folders left by an earlier run are cleaned at start-up

Recording:
  --record DIR              record every stream under DIR
  --record-format F         mp4 | flv | hls-ts | hls-fmp4   (default mp4)
  --record-retention T      delete recordings older than T (e.g. 7d, 12h; bare number =
                            days; default: keep)
  --record-max-size N       delete the oldest recordings beyond N bytes in total
                            (e.g. 50GB, 500MB, 2TiB; default: no limit)
  (GET /api/v1/recordings/{app}/{name}[/download|/playlist.m3u8]: see README "Recording")

Access control (combine as needed):
  --publish-token T         require ?token=T to publish
  --play-token T            require ?token=T to play
  --sign-secret S           require signed, expiring URLs (?expires=&sig=)
  --auth-webhook URL        POST each publish/play request to URL; 2xx allows
  --api-token T             admin token of the control API: DELETE/POST under /api/v1
                            (e.g. kick a client) need Authorization: Bearer T
                            (without it they are refused; GET /api/v1/* stays open)

Cluster (scale-out; see README "Scale-out"):
  --cluster redis://HOST:PORT  stream directory: origins announce, edges locate
  --advertise URL           this origin's HTTP base for edges (default from --http)
  --edge                    edge mode: pull streams from their origin on demand;
                            publishing to an edge is refused (publish to an origin)
  --origin URL              an edge's fixed origin (HTTP base) when there is no --cluster
  --reuse-port              share --http with other processes (SO_REUSEPORT, Linux):
                            N edges on one host, the kernel spreads viewers
  --tcp-backend MODE        plain-TCP sockets of RTMP and HTTP: auto (default: libc
                            where it runs, i.e. Linux with --allow-ffi, else Deno's),
                            ffi (libc over FFI, one epoll per listener: less memory
                            and CPU per viewer) or deno (Deno's sockets)

WebRTC (WHIP ingest and WHEP playback on the HTTP port: POST /live/<name>/whip|whep):
  --webrtc-udp HOST:PORT    the one ICE UDP port of every session (default: --http's
                            host, port 8189; "off" disables WHIP/WHEP)
  --webrtc-host ADDR        address advertised as ICE host candidate (repeatable): the
                            public or LAN address behind NAT / in a container (forward
                            the UDP port); default: the bound address, or every local
                            IPv4 address when bound to 0.0.0.0. No STUN lookups.

Camera pull (RTSP) and SRT caller mode:
  --pull URL=APP/NAME       pull rtsp://user:pass@camera/path into APP/NAME (repeatable;
                            UDP, TCP when UDP is silent; reconnects with backoff), or an
                            SRT listener's srt://HOST:PORT?streamid=…[&passphrase=…]
  --pull-on-demand          pull cameras only while someone watches (released 10 s after
                            the last; SRT pulls stay on)
  --push APP/NAME=URL       push APP/NAME to an SRT listener, srt://HOST:PORT?streamid=…
                            (repeatable; while the stream is live, retried every second)

Transcoding (ffmpeg as a child process: needs --allow-run=ffmpeg):
  --abr LADDER              ABR renditions of every stream, e.g. 720p,480p@800k,360p
                            (HEIGHTp[@BITRATE]; never upscaled, the source is the top
                            variant): /{app}/{name}/index.m3u8 is the multivariant
                            playlist (source: source.m3u8), renditions {name}~480p
  --transcode-max N         ffmpeg processes at once (default 4; audio bridges included)
  --abr-output MODE         ticked (default with --allow-ffi on Linux: ffmpeg's output
                            sockets drained every 40 ms, off the event loop's epoll),
                            packet (default otherwise: each rendition frame as it is
                            encoded) or buffered (ffmpeg's 32 KiB output buffer: ~1/3
                            of the piping CPU, +0.2-0.9 s of rendition latency)

Other:
  --demo                    publish the bundled sample clip in a loop as live/demo
  --max-connections N       connections per listener, RTMP and HTTP (default: from the
                            open-files limit, ulimit -n: 90 % of it, at least 256 kept
                            for files, shared by the listeners; 1000 if unreadable)
  --max-connections-per-ip N  connections per client IP, RTMP and HTTP each (also rate-limits accepts)
  --http-rate N             HTTP requests per second per client IP (429 beyond)
  --idle-timeout SECONDS    reap streams without frames    (default 10)
  --gc-step-mb N            ask V8 for a major GC once dead media buffers grew by
                            N MiB (or by half) since the last, then malloc_trim
                            (with --allow-ffi): RSS follows what is live (default
                            8; 0: off; needs --v8-flags=--expose-gc, which the
                            tasks pass)
  --publisher-grace SECONDS a publisher that drops may come back within this
                            and viewers keep playing; 0 ends at once (default 10)
  -h, --help                this text
`;

/**
 * Thrown for a bad flag; the message says which flag and why.
 *
 * @example
 * ```ts
 * import { parseOriginArgs, UsageError } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseOriginArgs(["--http", "nope"]), UsageError);
 * ```
 */
export class UsageError extends Error {
  /** @param message what is wrong with which flag */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parse `host:port` (or a bare port, meaning `0.0.0.0`).
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseListenAddress("127.0.0.1:1935", "--rtmp"), { hostname: "127.0.0.1", port: 1935 });
 * ```
 */
export function parseListenAddress(value: string, flag: string): ListenAddress {
  const match = /^()()(\d+)$/.exec(value) ??
    /^(?:\[([0-9a-fA-F:]+)\]|([^:\[\]]*)):(\d+)$/.exec(value);
  if (!match) {
    throw new UsageError(
      `Cannot use ${flag} ${value}: expected HOST:PORT, e.g. 127.0.0.1:1935`,
    );
  }
  const hostname = match[1] || match[2] || "0.0.0.0";
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`Cannot use ${flag} ${value}: port must be 0-65535`);
  }
  return { hostname, port };
}

function positiveNumber(
  value: string | undefined,
  flag: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `Cannot use ${flag} ${value}: expected a positive number`,
    );
  }
  return n;
}

function tcpBackendOf(value: string | undefined): "auto" | "deno" | "ffi" {
  if (value === undefined) return "auto";
  if (value === "auto" || value === "deno" || value === "ffi") return value;
  throw new UsageError(
    `Cannot use --tcp-backend ${value}: expected auto, deno or ffi`,
  );
}

function graceSeconds(value: string | undefined): number {
  if (value === undefined) return 10_000;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 3600) {
    throw new UsageError(
      `Cannot use --publisher-grace ${value}: expected 0-3600 seconds`,
    );
  }
  return Math.round(n * 1000);
}

function oneOf<T extends string>(
  value: string | undefined,
  flag: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `Cannot use ${flag} ${value}: expected one of ${allowed.join(", ")}`,
    );
  }
  return value as T;
}

/**
 * Parse and validate the origin's command line.
 *
 * @throws {UsageError} on an unknown flag or a bad value
 * @example
 * ```ts
 * import { parseOriginArgs } from "./options.ts";
 * import assert from "node:assert/strict";
 * const options = parseOriginArgs(["--http", "127.0.0.1:8000", "--hls-format", "ts"]);
 * assert.equal(options.http.port, 8000);
 * assert.equal(options.rtmp?.port, 1935);
 * ```
 */
export function parseOriginArgs(args: string[]): OriginOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        rtmp: { type: "string" },
        rtmps: { type: "string" },
        rtsp: { type: "string" },
        rtsps: { type: "string" },
        pull: { type: "string", multiple: true },
        "pull-on-demand": { type: "boolean" },
        push: { type: "string", multiple: true },
        srt: { type: "string" },
        "srt-passphrase": { type: "string" },
        http: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        https: { type: "boolean" },
        "hls-dir": { type: "string" },
        "hls-format": { type: "string" },
        "no-ll-hls": { type: "boolean" },
        segment: { type: "string" },
        window: { type: "string" },
        record: { type: "string" },
        "record-format": { type: "string" },
        "record-retention": { type: "string" },
        "record-max-size": { type: "string" },
        "hls-retention": { type: "string" },
        "hls-dvr": { type: "string" },
        "publish-token": { type: "string" },
        "play-token": { type: "string" },
        "sign-secret": { type: "string" },
        "auth-webhook": { type: "string" },
        "api-token": { type: "string" },
        demo: { type: "boolean" },
        "max-connections": { type: "string" },
        "max-connections-per-ip": { type: "string" },
        "http-rate": { type: "string" },
        "idle-timeout": { type: "string" },
        "gc-step-mb": { type: "string" },
        "publisher-grace": { type: "string" },
        cluster: { type: "string" },
        edge: { type: "boolean" },
        origin: { type: "string" },
        advertise: { type: "string" },
        "reuse-port": { type: "boolean" },
        "tcp-backend": { type: "string" },
        abr: { type: "string" },
        "transcode-max": { type: "string" },
        "abr-output": { type: "string" },
        "webrtc-udp": { type: "string" },
        "webrtc-host": { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(`Cannot parse flags: ${(error as Error).message}`);
  }
  const v = parsed.values;
  const tls = v.cert !== undefined || v.key !== undefined
    ? { certFile: v.cert ?? "", keyFile: v.key ?? "" }
    : null;
  if (tls && (!tls.certFile || !tls.keyFile)) {
    throw new UsageError("Cannot enable TLS: --cert and --key go together");
  }
  if (v.rtmps !== undefined && !tls) {
    throw new UsageError("Cannot enable --rtmps: it needs --cert and --key");
  }
  if (v.rtsps !== undefined && !tls) {
    throw new UsageError("Cannot enable --rtsps: it needs --cert and --key");
  }
  const srtPassphrase = v["srt-passphrase"];
  if (
    srtPassphrase !== undefined &&
    (srtPassphrase.length < 10 || srtPassphrase.length > 79)
  ) {
    throw new UsageError(
      "Cannot use --srt-passphrase: it must have 10 to 79 characters",
    );
  }
  if (v.https && !tls) {
    throw new UsageError("Cannot enable --https: it needs --cert and --key");
  }
  if (
    v["auth-webhook"] !== undefined && !/^https?:\/\//.test(v["auth-webhook"])
  ) {
    throw new UsageError(
      `Cannot use --auth-webhook ${v["auth-webhook"]}: expected an http(s) URL`,
    );
  }
  for (const flag of ["origin", "advertise"] as const) {
    const value = v[flag];
    if (value !== undefined && !/^https?:\/\/[^/]+/.test(value)) {
      throw new UsageError(
        `Cannot use --${flag} ${value}: expected an http(s) base URL, e.g. http://10.0.0.1:8080`,
      );
    }
  }
  if (v.cluster !== undefined && !/^rediss?:\/\/[^/]+/.test(v.cluster)) {
    throw new UsageError(
      `Cannot use --cluster ${v.cluster}: expected redis://HOST:PORT`,
    );
  }
  if (v.edge && v.cluster === undefined && v.origin === undefined) {
    throw new UsageError(
      "Cannot enable --edge: it needs --cluster redis://… or --origin URL",
    );
  }
  if (!v.edge && v.origin !== undefined) {
    throw new UsageError("Cannot use --origin: it is for --edge");
  }
  const segmentSeconds = positiveNumber(v.segment, "--segment", 2);
  const window = positiveNumber(v.window, "--window", 6);
  const maxConnections = v["max-connections"] === undefined
    ? null
    : positiveNumber(v["max-connections"], "--max-connections", 1);
  if (!Number.isInteger(window)) {
    throw new UsageError(
      `Cannot use --window ${v.window}: expected an integer`,
    );
  }
  let abr: RenditionSpec[] | null = null;
  if (v.abr !== undefined) {
    try {
      abr = parseLadder(v.abr);
    } catch (error) {
      throw new UsageError(
        `Cannot use --abr ${v.abr}: ${(error as Error).message}`,
      );
    }
  }
  const transcodeMax = positiveNumber(v["transcode-max"], "--transcode-max", 4);
  if (!Number.isInteger(transcodeMax)) {
    throw new UsageError(
      `Cannot use --transcode-max ${v["transcode-max"]}: expected an integer`,
    );
  }
  const abrOutput = v["abr-output"];
  if (
    abrOutput !== undefined && abrOutput !== "packet" &&
    abrOutput !== "buffered" && abrOutput !== "ticked"
  ) {
    throw new UsageError(
      `Cannot use --abr-output ${abrOutput}: expected packet, buffered or ticked`,
    );
  }
  return {
    rtmp: v.rtmp === "off"
      ? null
      : parseListenAddress(v.rtmp ?? "0.0.0.0:1935", "--rtmp"),
    rtmps: v.rtmps === undefined
      ? null
      : parseListenAddress(v.rtmps, "--rtmps"),
    rtsp: v.rtsp === "off"
      ? null
      : parseListenAddress(v.rtsp ?? "0.0.0.0:8554", "--rtsp"),
    rtsps: v.rtsps === undefined
      ? null
      : parseListenAddress(v.rtsps, "--rtsps"),
    pulls: (v.pull ?? []).map(parsePull),
    pullOnDemand: v["pull-on-demand"] ?? false,
    pushes: (v.push ?? []).map(parsePush),
    srt: v.srt === "off"
      ? null
      : v.srt !== undefined
      ? parseListenAddress(v.srt, "--srt")
      : defaultSrtAddress(v.rtmp),
    srtPassphrase: srtPassphrase ?? null,
    http: parseListenAddress(v.http ?? "0.0.0.0:8080", "--http"),
    tls,
    https: v.https ?? false,
    hlsDir: v["hls-dir"] ?? "./hls",
    hlsFormat: oneOf(
      v["hls-format"],
      "--hls-format",
      ["ts", "fmp4"] as const,
      "fmp4",
    ),
    lowLatency: !(v["no-ll-hls"] ?? false),
    segmentMs: Math.round(segmentSeconds * 1000),
    windowSize: window,
    recordDir: v.record ?? null,
    recordFormat: oneOf(
      v["record-format"],
      "--record-format",
      ["mp4", "flv", "hls-ts", "hls-fmp4"] as const,
      "mp4",
    ),
    recordRetentionMs: v["record-retention"] === undefined
      ? null
      : parseDurationMs(v["record-retention"], "--record-retention", "d"),
    recordMaxBytes: v["record-max-size"] === undefined
      ? null
      : parseByteSize(v["record-max-size"], "--record-max-size"),
    hlsRetentionMs: v["hls-retention"] === "off"
      ? null
      : parseDurationMs(v["hls-retention"] ?? "5m", "--hls-retention", "m"),
    hlsDvrMs: v["hls-dvr"] === undefined
      ? null
      : Math.round(positiveNumber(v["hls-dvr"], "--hls-dvr", 1) * 60_000),
    publishToken: v["publish-token"] ?? null,
    playToken: v["play-token"] ?? null,
    signSecret: v["sign-secret"] ?? null,
    authWebhook: v["auth-webhook"] ?? null,
    apiToken: v["api-token"] ?? null,
    demo: v.demo ?? false,
    maxConnections: maxConnections === null ? null : Math.floor(maxConnections),
    maxConnectionsPerIp: v["max-connections-per-ip"] === undefined
      ? null
      : Math.floor(
        positiveNumber(
          v["max-connections-per-ip"],
          "--max-connections-per-ip",
          1,
        ),
      ),
    httpRate: v["http-rate"] === undefined
      ? null
      : positiveNumber(v["http-rate"], "--http-rate", 1),
    publisherGraceMs: graceSeconds(v["publisher-grace"]),
    idleTimeoutMs: Math.round(
      positiveNumber(v["idle-timeout"], "--idle-timeout", 10) * 1000,
    ),
    gcStepMb: v["gc-step-mb"] === "0"
      ? 0
      : positiveNumber(v["gc-step-mb"], "--gc-step-mb", 8),
    cluster: v.cluster ?? null,
    edge: v.edge ?? false,
    origin: v.origin ?? null,
    advertise: v.advertise ?? null,
    reusePort: v["reuse-port"] ?? false,
    tcpBackend: tcpBackendOf(v["tcp-backend"]),
    abr,
    transcodeMax,
    abrOutput,
    webrtcUdp: v["webrtc-udp"] === "off"
      ? null
      : v["webrtc-udp"] !== undefined
      ? parseListenAddress(v["webrtc-udp"], "--webrtc-udp")
      : defaultWebRtcAddress(v.http),
    webrtcHosts: (v["webrtc-host"] ?? []).map((h) => {
      if (!/^[0-9A-Za-z.:-]{1,253}$/.test(h)) {
        throw new UsageError(
          `Cannot use --webrtc-host ${h}: expected an IP address or host name`,
        );
      }
      return h;
    }),
    help: v.help ?? false,
  };
}

/** SRT's default: port 8890 on --rtmp's interface, ephemeral when --rtmp is. */
function defaultSrtAddress(rtmp: string | undefined): ListenAddress {
  if (rtmp === undefined || rtmp === "off") {
    return { hostname: "0.0.0.0", port: 8890 };
  }
  const a = parseListenAddress(rtmp, "--rtmp");
  return { hostname: a.hostname, port: a.port === 0 ? 0 : 8890 };
}

/**
 * Parse one `--pull rtsp://user:pass@camera/path=app/name` (the key is after
 * the last `=`).
 *
 * @throws {UsageError} for a URL that is not rtsp(s):// or a bad key
 * @example
 * ```ts
 * import { parsePull } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parsePull("rtsp://cam/s1=live/door"), { url: "rtsp://cam/s1", key: "live/door" });
 * ```
 */
export function parsePull(value: string): { url: string; key: string } {
  const eq = value.lastIndexOf("=");
  const url = eq < 0 ? "" : value.slice(0, eq);
  const key = eq < 0 ? "" : value.slice(eq + 1);
  if (!/^(rtsps?:\/\/[^/]+|srt:\/\/[^/?]+:\d+)/.test(url)) {
    throw new UsageError(
      `Cannot use --pull ${value}: expected rtsp://[user:pass@]camera/path=app/name or srt://host:port?streamid=…=app/name`,
    );
  }
  if (!/^[A-Za-z0-9._~-]+\/[A-Za-z0-9._~-]+$/.test(key)) {
    throw new UsageError(
      `Cannot use --pull ${value}: "${key}" is not an app/name stream key`,
    );
  }
  return { url, key };
}

/**
 * Parse one `--push app/name=srt://host:port?streamid=…` (the key is before
 * the first `=`).
 *
 * @throws {UsageError} for a bad key or a URL that is not srt://host:port
 * @example
 * ```ts
 * import { parsePush } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parsePush("live/cam=srt://10.0.0.2:8890?streamid=publish:live/cam"),
 *   { key: "live/cam", url: "srt://10.0.0.2:8890?streamid=publish:live/cam" });
 * ```
 */
export function parsePush(value: string): { key: string; url: string } {
  const eq = value.indexOf("=");
  const key = eq < 0 ? "" : value.slice(0, eq);
  const url = eq < 0 ? "" : value.slice(eq + 1);
  if (!/^[A-Za-z0-9._~-]+\/[A-Za-z0-9._~-]+$/.test(key)) {
    throw new UsageError(
      `Cannot use --push ${value}: "${key}" is not an app/name stream key`,
    );
  }
  if (!/^srt:\/\/[^/?]+:\d+/.test(url)) {
    throw new UsageError(
      `Cannot use --push ${value}: expected app/name=srt://host:port?streamid=…`,
    );
  }
  return { key, url };
}

/** WebRTC's default: port 8189 on --http's interface, ephemeral when --http is. */
function defaultWebRtcAddress(http: string | undefined): ListenAddress {
  if (http === undefined) return { hostname: "0.0.0.0", port: 8189 };
  const a = parseListenAddress(http, "--http");
  return { hostname: a.hostname, port: a.port === 0 ? 0 : 8189 };
}

const DURATION_UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parse a duration such as `90s`, `5m`, `12h` or `7d` (a bare number is in
 * `bareUnit`) into milliseconds.
 *
 * @throws {UsageError} for anything else, or a duration that is not positive
 * @example
 * ```ts
 * import { parseDurationMs } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseDurationMs("7d", "--record-retention", "d"), 7 * 86_400_000);
 * assert.equal(parseDurationMs("5", "--hls-retention", "m"), 300_000);
 * ```
 */
export function parseDurationMs(
  value: string,
  flag: string,
  bareUnit: "s" | "m" | "h" | "d",
): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(value.trim());
  const ms = m === null
    ? NaN
    : Number(m[1]) * DURATION_UNITS[m[2] || bareUnit]!;
  if (!(ms >= 1000) || !Number.isFinite(ms)) {
    throw new UsageError(
      `Cannot use ${flag} ${value}: expected a duration of at least 1 s such as 90s, 5m, 12h or 7d`,
    );
  }
  return Math.round(ms);
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Parse a size such as `50GB`, `500MB`, `2TiB` or `1048576` into bytes.
 *
 * @throws {UsageError} for anything else, or a size that is not positive
 * @example
 * ```ts
 * import { parseByteSize } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseByteSize("50GB", "--record-max-size"), 50e9);
 * assert.equal(parseByteSize("1GiB", "--record-max-size"), 2 ** 30);
 * ```
 */
export function parseByteSize(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? "x").toLowerCase()];
  const bytes = m === null || unit === undefined ? NaN : Number(m[1]) * unit;
  if (!(bytes >= 1) || !Number.isFinite(bytes)) {
    throw new UsageError(
      `Cannot use ${flag} ${value}: expected a size such as 50GB, 500MB or 2TiB`,
    );
  }
  return Math.round(bytes);
}
