/**
 * The two servers under test and the publisher, started as process groups on
 * 127.0.0.1 with the same ports layout:
 *
 * - `nms`: node-media-server, installed from npm into `bench/.scratch/nms`
 *   (version pinned by `NMS_VERSION`), run with `node bin/app.js -c <config>`
 *   with the web admin, REST API (no `auth.jwt`), HTTPS and RTMPS off.
 * - `arcly`: `bench/fanout/our_origin.ts` (Engine + RtmpHandler + HTTP app).
 * - publisher: `ffmpeg -re -stream_loop -1 -i source.flv -c copy -f flv rtmp://…`.
 *
 * @module
 */

import { type Child, spawnGroup, waitForPort } from "./processes.ts";

/** node-media-server release the figures were taken with (latest v4 on npm). */
export const NMS_VERSION = "4.4.3";

/** Which server. */
export type ServerKind = "nms" | "arcly";

/** A running server. */
export interface Server {
  kind: ServerKind;
  child: Child;
  rtmpPort: number;
  httpPort: number;
  /** HTTP-FLV path of the benchmark stream. */
  flvPath: string;
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
  const child = spawnGroup("arcly", "deno", [
    "run",
    "-A",
    ...prof,
    script,
    `--rtmp-port=${options.rtmpPort}`,
    `--http-port=${options.httpPort}`,
  ], { cwd: dir, logPath: `${dir}/server.log`, env: { RUST_BACKTRACE: "0" } });
  await waitForPort(options.rtmpPort, 30_000, child);
  await waitForPort(options.httpPort, 30_000, child);
  return {
    kind: "arcly",
    child,
    rtmpPort: options.rtmpPort,
    httpPort: options.httpPort,
    flvPath: "/live/bench.flv",
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
