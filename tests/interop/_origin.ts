// Fixture of the player interop suite: a real origin (Engine + RtmpHandler +
// HttpHandler + HlsPackaging on 127.0.0.1 port 0), a real-time RTMP
// publisher, a playlist watcher, and a same-origin page server that hands
// Shaka Player / hls.js to Chromium and proxies everything else to the
// origin.
import { MemoryStorage } from "../../media/storage/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import {
  HlsPackaging,
  type HlsPackagingOptions,
  HttpHandler,
} from "../../protocols/http/mod.ts";
import { RtmpClient, RtmpHandler } from "../../protocols/rtmp/mod.ts";
import { type AppSpec, Engine } from "../../src/mod.ts";
import { nodeModuleFile } from "../_browser.ts";

/** A running origin. */
export interface Origin extends AsyncDisposable {
  engine: Engine;
  rtmpUrl: string;
  httpUrl: string;
}

/** Start an origin; `app` adds to the `live` application's spec. */
export async function startOrigin(
  options: { app?: Omit<AppSpec, "name">; hls?: Partial<HlsPackagingOptions> } =
    {},
): Promise<Origin> {
  const engine = Engine.builder()
    .application({ name: "live", ...options.app })
    .build();
  const storage = new MemoryStorage();
  const packaging = new HlsPackaging({
    engine,
    storage,
    format: "fmp4",
    targetDurationMs: 1000,
    partTargetMs: 334,
    ...options.hls,
  });
  const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    storage,
    hls: packaging,
    dashboard: false,
  });
  const served = engine.serve([rtmp, http]);
  const [{ port: rtmpPort }, { port: httpPort }] = await Promise.all([
    rtmp.listening,
    http.listening,
  ]);
  return {
    engine,
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    async [Symbol.asyncDispose]() {
      await engine.shutdown({ deadlineMs: 2000 });
      await served;
      await packaging.close();
    },
  };
}

/**
 * Publish `frames` to `{rtmpUrl}/{name}` in real time (paced by dts). With
 * `drop: true` the connection is closed abruptly at the end (no unpublish):
 * what a crashed encoder or a dead mobile link looks like.
 */
export async function publishRealtime(
  rtmpUrl: string,
  name: string,
  frames: readonly MediaFrame[],
  options: { drop?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const client = await RtmpClient.connect(rtmpUrl);
  try {
    const publisher = await client.publish(name);
    const t0 = performance.now();
    const first = frames.find((f) => !f.config)!;
    const base = (first.dts * 1000) / first.timescale;
    for (const frame of frames) {
      if (options.signal?.aborted) break;
      const due = (frame.dts * 1000) / frame.timescale - base -
        (performance.now() - t0);
      if (due > 1) await new Promise((r) => setTimeout(r, due));
      await publisher.write(frame);
    }
    if (!options.drop) await publisher.close();
  } finally {
    await client.close();
  }
}

/** Polls a playlist every 100 ms and keeps what it saw. */
export class PlaylistWatcher {
  readonly seen: Array<{ at: number; ended: boolean; text: string }> = [];
  #stop = false;
  #done: Promise<void>;

  constructor(url: string) {
    this.#done = (async () => {
      while (!this.#stop) {
        try {
          const res = await fetch(url);
          const text = await res.text();
          if (res.ok) {
            this.seen.push({
              at: performance.now(),
              ended: text.includes("#EXT-X-ENDLIST"),
              text,
            });
          }
        } catch { /* not yet up */ }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  /** When ENDLIST was first seen (performance.now()), or undefined. */
  get endedAt(): number | undefined {
    return this.seen.find((s) => s.ended)?.at;
  }

  /** Whether a playlist without ENDLIST followed one with it. */
  get endlistRemoved(): boolean {
    const first = this.seen.findIndex((s) => s.ended);
    return first >= 0 && this.seen.slice(first).some((s) => !s.ended);
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }
}

const PLAYERS = {
  "/shaka.js": "shaka-player/dist/shaka-player.compiled.js",
  "/hls.js": "hls.js/dist/hls.min.js",
} as const;

/** The page every browser test loads: both players, one video element. */
const PAGE = `<!doctype html><html><body><video muted playsinline></video>
<script src="/shaka.js"></script><script src="/hls.js"></script></body></html>`;

/** A same-origin server: the page, the players, and a proxy to `httpUrl`. */
export function pageServer(httpUrl: string): Deno.HttpServer & {
  url: string;
} {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const [path, file] of Object.entries(PLAYERS)) {
    files.set(path, Deno.readFileSync(nodeModuleFile(file)));
  }
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/") {
        return new Response(PAGE, { headers: { "content-type": "text/html" } });
      }
      const file = files.get(url.pathname);
      if (file) {
        return new Response(file, {
          headers: { "content-type": "text/javascript" },
        });
      }
      try {
        const upstream = await fetch(`${httpUrl}${url.pathname}${url.search}`);
        return new Response(upstream.body, {
          status: upstream.status,
          headers: upstream.headers,
        });
      } catch {
        return new Response("upstream failed", { status: 502 });
      }
    },
  );
  return Object.assign(server, {
    url: `http://127.0.0.1:${server.addr.port}`,
  });
}

/**
 * Runs in the page: start `player` ("shaka" | "hlsjs") on `url` and keep
 * its state in `window.playerState` (errors, ended, currentTime samples).
 * It returns at once: loading and `video.play()` go on in the page, and a
 * test polls `window.playerState` against its own deadline. (It used to
 * await them, and `play()` stays pending for as long as no media arrives,
 * hls.js's MANIFEST_PARSED never fires after a fatal manifest error: one
 * player that never started hung the test with every process idle.)
 */
export const START_PLAYER = `async ({ player, url, lowLatency }) => {
  const video = document.querySelector("video");
  const state = { errors: [], ended: false, times: [], loaded: false };
  window.playerState = state;
  video.addEventListener("ended", () => { state.ended = true; });
  state.sizes = [];
  setInterval(() => {
    state.times.push([performance.now(), video.currentTime]);
    const size = video.videoWidth + "x" + video.videoHeight;
    if (state.sizes.at(-1) !== size) state.sizes.push(size);
  }, 200);
  if (player === "shaka") {
    shaka.polyfill.installAll();
    const p = new shaka.Player();
    await p.attach(video);
    p.configure({ streaming: { lowLatencyMode: lowLatency, retryParameters: { maxAttempts: 10 } },
      manifest: { retryParameters: { maxAttempts: 10 } } });
    p.addEventListener("error", (e) => state.errors.push("shaka " + e.detail.code + " " + JSON.stringify(e.detail.data).slice(0, 200) + " at " + Math.round(performance.now()) + " ms sev " + e.detail.severity));
    window.shakaPlayer = p;
    p.load(url).then(() => {
      state.loaded = true;
      video.play().catch((e) => state.errors.push("play: " + e));
    }, (e) => state.errors.push("load " + e.code));
  } else {
    const hls = new Hls({ enableWorker: false, lowLatencyMode: lowLatency });
    // A fatal error carries what the browser said (the media element's error, the
    // thrown append error) and which fragment, so a failure explains itself.
    hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) state.errors.push(d.type + ": " + d.details + (d.reason ? " (" + d.reason + ")" : "") + (d.error ? " [" + String(d.error.message || d.error).slice(0, 200) + "]" : "") + (video.error ? " [media " + video.error.code + " " + video.error.message + "]" : "") + (d.frag ? " frag " + d.frag.relurl + " part " + (d.part ? d.part.index : "-") : "")); });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      state.loaded = true;
      video.play().catch((e) => state.errors.push("play: " + e));
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    window.hlsPlayer = hls;
  }
}`;

/** What `window.playerState` holds. */
export interface PlayerState {
  errors: string[];
  ended: boolean;
  loaded: boolean;
  times: Array<[number, number]>;
  /** Distinct video sizes ("WxH") in the order they were shown. */
  sizes: string[];
}

/** Seconds of media played between page times `from` and `to` (ms). */
export function playedBetween(
  state: PlayerState,
  from: number,
  to: number,
): number {
  const inside = state.times.filter(([at]) => at >= from && at <= to);
  if (inside.length < 2) return 0;
  let played = 0;
  for (let i = 1; i < inside.length; i++) {
    const step = inside[i]![1] - inside[i - 1]![1];
    // A discontinuity may jump the timeline: count only playback steps.
    if (step > 0 && step < 1) played += step;
  }
  return played;
}
