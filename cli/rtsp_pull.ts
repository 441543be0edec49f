/**
 * The CLI's RTSP camera pulls (`--pull URL=app/name`, `--pull-on-demand`)
 * and the RTSP lines of the start-up banner.
 *
 * Always-on: each camera is pumped into its key by `engine.pumpSource`
 * with an {@linkcode RtspPullSource} (which reconnects by itself); if the
 * stream ends anyway (reaped while the camera is down, replaced), the pump
 * starts again after a second, until shutdown. On demand: one
 * {@linkcode RtspPullProvider} attached to the engine, so a camera is pulled
 * only while someone watches. An `srt://` pull (an SRT listener's stream, in
 * caller mode) is always on: an {@linkcode SrtSource}, restarted the same way.
 *
 * @module
 */
import type { Engine, MediaSource } from "../mod.ts";
import type { ListenAddress } from "./options.ts";
import { RtspPullProvider, RtspPullSource } from "../protocols/rtsp/mod.ts";
import { parseSrtUrl, SrtSource } from "../protocols/srt/mod.ts";

/** One `--pull`. */
export interface PullFlag {
  /** The camera URL. */
  url: string;
  /** The stream key it is published under. */
  key: string;
}

/** A camera URL without its password (or SRT passphrase), for logs. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")
    .replace(/([?&]passphrase=)[^&]*/, "$1***");
}

/**
 * Start the pulls; resolves once every always-on pull stopped (at `signal`).
 *
 * @param engine the origin's engine
 * @param pulls the `--pull` flags
 * @param onDemand pull only while watched
 * @param signal shutdown
 * @param log banner and error lines
 */
export async function startRtspPulls(
  engine: Engine,
  pulls: readonly PullFlag[],
  onDemand: boolean,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  if (pulls.length === 0) return;
  const isSrt = (p: PullFlag) => p.url.startsWith("srt://");
  if (onDemand && pulls.some((p) => !isSrt(p))) {
    engine.attachOnDemand(
      new RtspPullProvider(pulls.filter((p) => !isSrt(p))),
    );
  }
  const alwaysOn = onDemand ? pulls.filter(isSrt) : pulls;
  await Promise.all(alwaysOn.map(async ({ url, key }) => {
    while (!signal.aborted) {
      const source: MediaSource = url.startsWith("srt://")
        ? new SrtSource(parseSrtUrl(url))
        : new RtspPullSource({
          url,
          onEvent: (e) => {
            if (e.type === "fallback") {
              log(`pull ${key}: UDP silent, using TCP`);
            }
            if (e.type === "disconnected") {
              log(
                `pull ${key}: ${
                  e.error instanceof Error ? e.error.message : "disconnected"
                }; retry in ${e.retryInMs} ms`,
              );
            }
          },
        });
      try {
        await engine.pumpSource(key, source, { signal });
      } catch (error) {
        if (!signal.aborted) {
          log(`pull ${key}: ${(error as Error).message}`);
        }
      }
      if (signal.aborted) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  }));
}

/**
 * The RTSP lines of the banner.
 *
 * @param addr the bound RTSP address, or null (off, or could not listen)
 * @param pulls the `--pull` flags
 * @param onDemand whether pulls are on demand
 * @param host how a bound interface is shown (0.0.0.0 → localhost)
 * @returns lines to log
 */
export function rtspBanner(
  addr: (ListenAddress & { udpRtpPort?: number }) | null,
  pulls: readonly PullFlag[],
  onDemand: boolean,
  host: (hostname: string) => string,
): string[] {
  const lines: string[] = [];
  if (addr) {
    const base = `rtsp://${host(addr.hostname)}:${addr.port}`;
    const udp = addr.udpRtpPort === undefined
      ? "TCP only"
      : `TCP or UDP ${addr.udpRtpPort}-${addr.udpRtpPort + 1}`;
    lines.push(`  publish (RTSP) ${base}/live/<name>`);
    lines.push(`  play (RTSP)    ${base}/live/<name> (${udp})`);
  }
  for (const p of pulls) {
    lines.push(
      `  pull           ${safeUrl(p.url)} -> ${p.key}${
        onDemand && !p.url.startsWith("srt://") ? " (on demand)" : ""
      }`,
    );
  }
  return lines;
}
