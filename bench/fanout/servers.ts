/**
 * The two servers under test and the publisher, started as process groups on
 * 127.0.0.1 with the same ports layout:
 *
 * - `nms`: node-media-server, installed from npm into `bench/.scratch/nms`
 *   (version pinned by `NMS_VERSION`), run with `node bin/app.js -c <config>`
 *   with the web admin, REST API (no `auth.jwt`), HTTPS and RTMPS off.
 * - `arcly`: `bench/fanout/our_origin.ts` (Engine + RtmpHandler + HTTP app).
 * - `nginx`: nginx with Debian's `libnginx-mod-rtmp` from `bench/nginx-rtmp.conf`
 *   (`master_process off; worker_processes 1;`, `application live { live on; }`),
 *   run in the foreground: `nginx -p DIR -c DIR/nginx.conf -g 'daemon off; pid …;'`.
 *   RTMP only: nginx-rtmp has no HTTP-FLV (`flvPath` is null).
 * - publisher: `ffmpeg -re -stream_loop -1 -i source.flv -c copy -f flv rtmp://…`.
 *
 * @module
 */

import { type Child, spawnGroup, waitForPort } from "./processes.ts";

/** node-media-server release the figures were taken with (latest v4 on npm). */
export const NMS_VERSION = "4.4.3";

/** Which server. */
export type ServerKind = "nms" | "arcly" | "nginx";

/** A running server. */
export interface Server {
  kind: ServerKind;
  child: Child;
  rtmpPort: number;
  httpPort: number;
  /** HTTP-FLV path of the benchmark stream, or null when the server has none. */
  flvPath: string | null;
  /** Our origin only: the file it rewrites every 500 ms with its `Deno.memoryUsage()`. */
  memFile?: string;
}

/** Options shared by the server starters. */
export interface StartOptions {
  scratchDir: string;
  runDir: string;
  rtmpPort: number;
  httpPort: number;
  /** Directory for `--cpu-prof` output, or null for no profiling. */
  profileDir: string | null;
}

/**
 * Installs node-media-server with npm into `<scratchDir>/nms` unless the pinned
 * version is already there.
 *
 * @param scratchDir `bench/.scratch`.
 * @returns The package directory.
 */
export async function ensureNms(scratchDir: string): Promise<string> {
  const prefix = `${scratchDir}/nms`;
  const pkgDir = `${prefix}/node_modules/node-media-server`;
  try {
    const pkg = JSON.parse(Deno.readTextFileSync(`${pkgDir}/package.json`)) as {
      version: string;
    };
    if (pkg.version === NMS_VERSION) return pkgDir;
  } catch { /* not installed */ }
  Deno.mkdirSync(prefix, { recursive: true });
  const out = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      prefix,
      `node-media-server@${NMS_VERSION}`,
      "--no-audit",
      "--no-fund",
    ],
    stdin: "null",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot install node-media-server: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return pkgDir;
}

/**
 * Starts node-media-server.
 *
 * @param options Ports and directories.
 * @returns The running server.
 */
export async function startNms(options: StartOptions): Promise<Server> {
  const pkgDir = await ensureNms(options.scratchDir);
  const dir = `${options.runDir}/nms`;
  Deno.mkdirSync(dir, { recursive: true });
  const config = {
    bind: "127.0.0.1",
    notify: { url: "" },
    store: { path: `${dir}/data` },
    auth: { play: false, publish: false, secret: "fanout-bench" },
    rtmp: { port: options.rtmpPort },
    http: { port: options.httpPort },
    webadmin: { enable: false },
    record: { auto: false, path: `${dir}/record` },
  };
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(config, null, 2));
  const prof = options.profileDir === null
    ? []
    : ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}/nms`];
  const child = spawnGroup("nms", "node", [
    ...prof,
    `${pkgDir}/bin/app.js`,
    "-c",
    `${dir}/config.json`,
  ], {
    cwd: dir,
    logPath: `${dir}/server.log`,
  });
  await waitForPort(options.rtmpPort, 15_000, child);
  await waitForPort(options.httpPort, 15_000, child);
  return {
    kind: "nms",
    child,
    rtmpPort: options.rtmpPort,
    httpPort: options.httpPort,
    flvPath: "/live/bench.flv",
  };
}

/**
 * Starts our origin (`our_origin.ts`) in its own Deno process.
 *
 * @param options Ports and directories.
 * @returns The running server.
 */
export async function startArcly(options: StartOptions): Promise<Server> {
  const dir = `${options.runDir}/arcly`;
  Deno.mkdirSync(dir, { recursive: true });
  const prof = options.profileDir === null
    ? []
    : ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}/arcly`];
  const script = new URL("./our_origin.ts", import.meta.url).pathname;
  // ARCLY_BENCH_V8_FLAGS=--max-semi-space-size=2 (say): V8 flags for our
  // origin only (DENO_V8_FLAGS would reach the load client too).
  const v8Flags = Deno.env.get("ARCLY_BENCH_V8_FLAGS") ?? "";
  // ARCLY_BENCH_ORIGIN_ENV=MALLOC_ARENA_MAX=2,MALLOC_TRIM_THRESHOLD_=131072
  // (say): environment for our origin only (allocator knobs).
  const memFile = `${dir}/memory.txt`;
  const originEnv: Record<string, string> = {
    RUST_BACKTRACE: "0",
    ARCLY_BENCH_MEMFILE: memFile,
  };
  for (
    const pair of (Deno.env.get("ARCLY_BENCH_ORIGIN_ENV") ?? "").split(",")
  ) {
    const eq = pair.indexOf("=");
    if (eq > 0) originEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // ARCLY_BENCH_INSPECT=HOST:PORT: V8's inspector on our origin (for
  // heap_sampling.ts: allocation or CPU profiles of a running window).
  const inspect = Deno.env.get("ARCLY_BENCH_INSPECT");
  const child = spawnGroup("arcly", "deno", [
    "run",
    "-A",
    ...(v8Flags === "" ? [] : [`--v8-flags=${v8Flags}`]),
    ...(inspect === undefined ? [] : [`--inspect=${inspect}`]),
    ...prof,
    // The origin's Deno.memoryUsage() every 500 ms for the load client.
    `--preload=${new URL("./memory_file.ts", import.meta.url).pathname}`,
    script,
    `--rtmp-port=${options.rtmpPort}`,
    `--http-port=${options.httpPort}`,
  ], { cwd: dir, logPath: `${dir}/server.log`, env: originEnv });
  await waitForPort(options.rtmpPort, 30_000, child);
  await waitForPort(options.httpPort, 30_000, child);
  return {
    kind: "arcly",
    child,
    rtmpPort: options.rtmpPort,
    httpPort: options.httpPort,
    flvPath: "/live/bench.flv",
    memFile,
  };
}

/** The nginx module Debian's `libnginx-mod-rtmp` installs. */
export const NGINX_RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/** Options of {@link startNginx} beyond the shared ones. */
export interface NginxOptions extends StartOptions {
  /** `hls on` (segments written to `DIR/hls`); default off. */
  hls?: boolean;
}

/**
 * Writes `bench/nginx-rtmp.conf` with ports and paths filled in to
 * `<runDir>/nginx/nginx.conf`.
 *
 * @param dir The nginx prefix directory.
 * @param options Ports and HLS.
 * @returns The config path.
 */
export function writeNginxConf(dir: string, options: NginxOptions): string {
  const template = Deno.readTextFileSync(
    new URL("../nginx-rtmp.conf", import.meta.url),
  );
  for (const sub of ["logs", "tmp", "hls"]) {
    Deno.mkdirSync(`${dir}/${sub}`, { recursive: true });
  }
  const conf = template
    .replaceAll("@RTMP_PORT@", String(options.rtmpPort))
    .replaceAll("@HTTP_PORT@", String(options.httpPort))
    .replaceAll("@HLS_DIR@", `${dir}/hls`)
    .replaceAll("@HLS@", options.hls === true ? "on" : "off");
  Deno.writeTextFileSync(`${dir}/nginx.conf`, conf);
  return `${dir}/nginx.conf`;
}

/**
 * Starts nginx-rtmp as one foreground process (no master, no worker fork).
 *
 * @param options Ports and directories.
 * @returns The running server.
 */
export async function startNginx(options: NginxOptions): Promise<Server> {
  const dir = `${options.runDir}/nginx`;
  const conf = writeNginxConf(dir, options);
  const child = spawnGroup("nginx", "nginx", [
    "-p",
    `${dir}/`,
    "-c",
    conf,
    "-g",
    `daemon off; pid ${dir}/nginx.pid;`,
  ], { cwd: dir, logPath: `${dir}/server.log` });
  await waitForPort(options.rtmpPort, 15_000, child);
  await waitForPort(options.httpPort, 15_000, child);
  return {
    kind: "nginx",
    child,
    rtmpPort: options.rtmpPort,
    httpPort: options.httpPort,
    flvPath: null,
  };
}

/**
 * Publishes the source in a loop with `-c copy`.
 *
 * @param sourcePath The FLV file.
 * @param rtmpPort The server's RTMP port.
 * @param logPath ffmpeg's log file.
 * @returns The publisher process.
 */
export function startPublisher(
  sourcePath: string,
  rtmpPort: number,
  logPath: string,
): Child {
  return spawnGroup("ffmpeg", "ffmpeg", [
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "warning",
    "-re",
    "-stream_loop",
    "-1",
    "-i",
    sourcePath,
    "-c",
    "copy",
    "-f",
    "flv",
    `rtmp://127.0.0.1:${rtmpPort}/live/bench`,
  ], { logPath });
}
