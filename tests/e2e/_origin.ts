// End-to-end origin for browser tests: an engine serving RTMP ingest and the
// HTTP egress on 127.0.0.1 port 0, with one HLS packaging per application —
// `ll/cam` LL-HLS fMP4, `ts/cam` HLS MPEG-TS, `fmp4/cam` HLS fMP4 — and one
// ffmpeg process publishing the same picture (a wall clock burnt in) to the
// three keys over RTMP. A publish-time map per key turns a
// stream timestamp into the wall-clock time the frame reached the server.
import { MemoryStorage } from "../../media/storage/mod.ts";
import { Engine } from "../../src/mod.ts";
import { RtmpHandler } from "../../protocols/rtmp/mod.ts";
import {
  HlsPackaging,
  HttpHandler,
  PrometheusObserver,
} from "../../protocols/http/mod.ts";

const FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

/** The published keys and how each is packaged. */
export const KEYS = {
  ll: { format: "fmp4", lowLatency: true },
  ts: { format: "ts", lowLatency: false },
  fmp4: { format: "fmp4", lowLatency: false },
} as const;

/** A running origin with the ffmpeg publisher. */
export interface Origin extends AsyncDisposable {
  httpPort: number;
  engine: Engine;
  metrics: PrometheusObserver;
  /** Wall-clock ms at which the frame of `key` with decode time `dtsMs` reached the engine (steady state). */
  wallClockOf(key: string, dtsMs: number): number;
  /**
   * How late (ms) the first frame of `key` arrived compared with the steady
   * state: the packager anchors EXT-X-PROGRAM-DATE-TIME on its first frame,
   * so PDT-based latencies are low by this much.
   */
  startupSkewMs(key: string): number;
}

export async function startOrigin(): Promise<Origin> {
  const metrics = new PrometheusObserver();
  const engine = Engine.builder().observer(metrics).audit(metrics).build();
  const storage = new MemoryStorage();
  const packagings = Object.entries(KEYS).map(([app, spec]) =>
    new HlsPackaging({
      engine,
      storage,
      ...spec,
      targetDurationMs: 1000,
      partTargetMs: 250,
      filter: (key) => key.startsWith(`${app}/`),
      onEvent: (_key, event) => metrics.countHlsEvent(event),
    })
  );
  const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    storage,
    hls: {
      segmenter: (key) =>
        packagings.map((p) => p.segmenter(key)).find((s) => s !== undefined),
    },
    metrics,
  });
  const controller = new AbortController();
  const served = engine.serve([rtmp, http], controller.signal);
  const [{ port: rtmpPort }, { port: httpPort }] = await Promise.all([
    rtmp.listening,
    http.listening,
  ]);

  // Map each stream's time to wall-clock arrival time. The offset
  // (arrival - dts) of the first frame can be inflated by the publisher's
  // start-up burst, so keep the smallest offset seen (the frame that arrived
  // most on time) as well as the first one.
  const offsets = new Map<string, { first: number; min: number }>();
  const allPublished = new Promise<void>((resolve) => {
    const off = engine.events.on("published", ({ key }) => {
      const probe = engine.getStream(key)!.subscribe({ replay: false });
      void (async () => {
        for await (const frame of probe) {
          if (frame.config || frame.kind === "data") continue;
          const offset = Date.now() -
            Math.round((frame.dts * 1000) / frame.timescale);
          const seen = offsets.get(key);
          if (seen === undefined) {
            offsets.set(key, { first: offset, min: offset });
          } else if (offset < seen.min) seen.min = offset;
        }
      })().catch(() => {});
      if (engine.streams().length === Object.keys(KEYS).length) {
        off();
        resolve();
      }
    });
  });
  // One output (and one encoder) per key: ffmpeg's `tee` muxer would encode
  // once but publishes an empty AVC sequence header first (no extradata at
  // header time), which players that start from the GOP replay cannot use.
  const video = [
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-tune",
    "zerolatency",
    "-g",
    "30",
    "-keyint_min",
    "30",
    "-sc_threshold",
    "0",
    "-pix_fmt",
    "yuv420p",
    "-b:v",
    "900k",
    "-c:a",
    "aac",
    "-b:a",
    "64k",
  ];
  const outputs = Object.keys(KEYS).flatMap((app, i) => [
    ...["-map", `[v${i}]`, "-map", "1:a", ...video],
    ...["-f", "flv", `rtmp://127.0.0.1:${rtmpPort}/${app}/cam`],
  ]);
  const ffmpeg = new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re"],
      ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
      ...[
        "-filter_complex",
        `[0:v]drawtext=fontfile=${FONT}:text='%{localtime\\:%T}':x=24:y=24:fontsize=40:fontcolor=white:box=1:boxcolor=black@0.6,split=3[v0][v1][v2]`,
      ],
      ...outputs,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await allPublished;

  return {
    httpPort,
    engine,
    metrics,
    wallClockOf(key: string, dtsMs: number): number {
      const seen = offsets.get(key);
      if (seen === undefined) throw new Error(`no frame of ${key} yet`);
      return dtsMs + seen.min;
    },
    startupSkewMs(key: string): number {
      const seen = offsets.get(key);
      if (seen === undefined) throw new Error(`no frame of ${key} yet`);
      return seen.first - seen.min;
    },
    async [Symbol.asyncDispose]() {
      try {
        ffmpeg.kill("SIGKILL");
      } catch { /* already exited */ }
      await ffmpeg.stderr.cancel().catch(() => {});
      await ffmpeg.status;
      controller.abort();
      await served;
      await Promise.all(packagings.map((p) => p.close()));
    },
  };
}
