// deno-lint-ignore-file no-console -- benchmark load process: stdout (RESULT line) is its interface
/**
 * Load for the many-streams benchmark, in its own process: S RTMP publishers
 * replaying one pre-encoded clip in real time (looped, timestamps kept
 * monotonic; sequence headers and metadata only on the first pass), V
 * independent RTMP viewers per stream (the fan-out harness's byte-counting
 * player, reads paced at 100 ms), and the publish-to-HLS-segment delay of a
 * sample of streams read from the server's playlists on disk.
 *
 * Delay of a segment = the time its playlist first lists it − the wall time
 * the publisher sent the keyframe that ends it (the keyframe whose
 * timestamp is nearest the sum of the EXTINF durations so far; every stream
 * starts at timestamp 0 with a keyframe and has one every 2 s). Playlists
 * are polled every 100 ms, so each delay is late by up to 100 ms.
 *
 * Usage: `deno run -A bench/streams/load.ts '<LoadSpec JSON>'`; prints
 * `READY` once every publisher and viewer is connected, then `RESULT {json}`.
 *
 * @module
 */

import { RtmpClient, type RtmpPublisher } from "../../protocols/rtmp/mod.ts";
import { readFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { RtmpViewer } from "../fanout/rtmp_viewer.ts";
import { setReadPacing, type Viewer } from "../fanout/viewer.ts";
import { cpuRate, sampleProc } from "../fanout/proc_stats.ts";

/** What the orchestrator asks for. */
export interface LoadSpec {
  port: number;
  streams: number;
  viewersPerStream: number;
  clip: string;
  /** Seconds to keep going after READY. */
  holdS: number;
  /** Playlist path of stream `name`, with `{name}` in it; null: HLS off. */
  playlist: string | null;
  /** How many streams' playlists are polled. */
  sampled: number;
}

/** What the load process reports. */
export interface LoadResult {
  publishers: number;
  publishFailures: number;
  viewers: number;
  viewerFailures: number;
  /** Viewers whose media time advanced < 0.9 s per second over the hold. */
  viewersBehind: number;
  /** Segment delays (ms) of the sampled streams. */
  delays: number[];
  /** Publisher ticks that found the previous write still pending. */
  backpressured: number;
  /** This process's CPU (cores) over the hold. */
  loadCpu: number;
  /** Median viewer media-time advance per wall-clock second over the hold. */
  advanceMedian: number;
  errors: string[];
}

const TICK_MS = 20;

interface Pub {
  name: string;
  publisher: RtmpPublisher | null;
  client: RtmpClient | null;
  startAt: number;
  next: number; // index in the clip
  loop: number;
  pending: boolean;
  keyframes: { dts: number; at: number }[]; // sampled streams only
  sampled: boolean;
}

function shifted(f: MediaFrame, offset: number): MediaFrame {
  return offset === 0 ? f : { ...f, pts: f.pts + offset, dts: f.dts + offset };
}

async function main(spec: LoadSpec): Promise<void> {
  const { frames } = readFlvFile(Deno.readFileSync(spec.clip));
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  const heads = frames.filter((f) => f.config || f.kind === "data");
  const last = media.at(-1)!;
  const clipMs = last.dts + 33;
  const errors: string[] = [];
  const note = (e: unknown): void => {
    if (errors.length < 20) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  };
  const pubs: Pub[] = [];
  const stagger = Math.min(20, 2000 / spec.streams);
  const t0 = performance.now() + 200;
  for (let i = 0; i < spec.streams; i++) {
    pubs.push({
      name: `s${i}`,
      publisher: null,
      client: null,
      startAt: t0 + i * stagger,
      next: 0,
      loop: 0,
      pending: false,
      keyframes: [],
      sampled: i < spec.sampled,
    });
  }
  let publishFailures = 0;
  // Connect in waves of 20 (a flash crowd of publishers is not the point).
  for (let i = 0; i < pubs.length; i += 20) {
    await Promise.all(
      pubs.slice(i, i + 20).map(async (p) => {
        try {
          p.client = await RtmpClient.connect(
            `rtmp://127.0.0.1:${spec.port}/live`,
          );
          p.publisher = await p.client.publish(p.name);
          await p.publisher.writeFrames(heads);
        } catch (e) {
          publishFailures++;
          note(e);
        }
      }),
    );
  }
  let backpressured = 0;
  let running = true;
  const start = performance.now();
  for (const p of pubs) p.startAt += start - t0;
  const pump = (): void => {
    const now = performance.now();
    for (const p of pubs) {
      if (p.publisher === null || now < p.startAt) continue;
      if (p.pending) {
        backpressured++;
        continue;
      }
      const elapsed = now - p.startAt;
      const batch: MediaFrame[] = [];
      while (true) {
        const f = media[p.next]!;
        const offset = p.loop * clipMs;
        if (f.dts + offset > elapsed) break;
        batch.push(shifted(f, offset));
        if (p.sampled && f.kind === "video" && f.keyframe) {
          p.keyframes.push({ dts: f.dts + offset, at: now });
        }
        if (++p.next === media.length) {
          p.next = 0;
          p.loop++;
        }
      }
      if (batch.length === 0) continue;
      p.pending = true;
      p.publisher.writeFrames(batch).then(
        () => p.pending = false,
        (e) => {
          note(e);
          p.publisher = null;
        },
      );
    }
  };
  const timer = setInterval(() => {
    if (running) pump();
  }, TICK_MS);

  // Viewers, once every stream is flowing.
  await new Promise((r) => setTimeout(r, 2500));
  setReadPacing(100);
  const viewers: Viewer[] = [];
  for (const p of pubs) {
    for (let v = 0; v < spec.viewersPerStream; v++) {
      const viewer = new RtmpViewer("127.0.0.1", spec.port, "live", p.name);
      viewer.start();
      viewers.push(viewer);
    }
  }
  await Promise.race([
    Promise.all(viewers.map((v) => v.keyframe.catch(() => {}))),
    new Promise((r) => setTimeout(r, 20_000)),
  ]);

  // Playlist polling of the sampled streams.
  const delays: number[] = [];
  const seen = new Map<string, { seq: number; endMs: number }>();
  const poll = (): void => {
    if (spec.playlist === null) return;
    const now = performance.now();
    for (const p of pubs) {
      if (!p.sampled) continue;
      let text: string;
      try {
        text = Deno.readTextFileSync(spec.playlist.replace("{name}", p.name));
      } catch {
        continue;
      }
      const first = Number(
        /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0,
      );
      const durations = [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) =>
        Number(m[1]) * 1000
      );
      const state = seen.get(p.name) ?? { seq: -1, endMs: 0 };
      for (let k = 0; k < durations.length; k++) {
        const seq = first + k;
        if (seq <= state.seq) continue;
        if (state.seq === -1 && seq !== 0) {
          // joined late: estimate the end from the segments listed
          state.endMs = durations.slice(0, k).reduce((a, b) => a + b, 0) +
            first * 2000;
        }
        state.endMs += durations[k]!;
        state.seq = seq;
        // the keyframe that ends this segment
        let best: { dts: number; at: number } | null = null;
        for (const kf of p.keyframes) {
          if (
            best === null ||
            Math.abs(kf.dts - state.endMs) < Math.abs(best.dts - state.endMs)
          ) best = kf;
        }
        if (
          best !== null && Math.abs(best.dts - state.endMs) < 500 &&
          now - start > 5000 // skip the first segments (start-up)
        ) delays.push(now - best.at);
      }
      seen.set(p.name, state);
    }
  };
  const poller = setInterval(poll, 100);
  console.log("READY");
  const cpu0 = sampleProc(Deno.pid)!;
  const media0 = viewers.map((v) => v.mediaTs);
  const holdStart = performance.now();
  await new Promise((r) => setTimeout(r, spec.holdS * 1000));
  const seconds = (performance.now() - holdStart) / 1000;
  const cpu1 = sampleProc(Deno.pid)!;
  const behind =
    viewers.filter((v, i) =>
      v.error !== null || (v.mediaTs - media0[i]!) / 1000 < 0.9 * seconds
    ).length;
  const advance = viewers.map((v, i) =>
    (v.mediaTs - media0[i]!) / 1000 / seconds
  )
    .sort((a, b) => a - b);
  running = false;
  clearInterval(timer);
  clearInterval(poller);
  const result: LoadResult = {
    publishers: pubs.filter((p) => p.publisher !== null).length,
    publishFailures,
    viewers: viewers.length,
    viewerFailures: viewers.filter((v) => v.firstKeyframeAt < 0).length,
    viewersBehind: behind,
    delays,
    backpressured,
    loadCpu: cpuRate(cpu0, cpu1),
    advanceMedian: advance[advance.length >> 1] ?? NaN,
    errors,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
  for (const v of viewers) v.close();
  await Promise.all(
    pubs.map((p) => p.client?.close().catch(() => {}) ?? Promise.resolve()),
  );
}

if (import.meta.main) {
  await main(JSON.parse(Deno.args[0]!) as LoadSpec);
  Deno.exit(0);
}
