// Real media made by ffmpeg at test time (small: 64x64, 2 s), shared by the
// FLV and MPEG-TS interop tests, plus helpers to parse our own TS output.
import type { MediaFrame } from "../../../media/frame.ts";
import {
  buildHevcDecoderConfig,
  splitAnnexB,
} from "../../../media/codec/mod.ts";
import { run } from "../../_tools.ts";

const LAVFI_VIDEO = "testsrc=size=64x64:rate=25";
const LAVFI_AUDIO = "sine=frequency=440:sample_rate=44100";

/** Run ffmpeg quietly; throw with its stderr on failure. */
export async function ffmpeg(args: string[]): Promise<void> {
  const r = await run("ffmpeg", ["-hide_banner", "-v", "error", "-y", ...args]);
  if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

// ffmpeg runs once per test process per fixture: results are memoized here
// (files in one cache directory removed at unload; frames are immutable).
let cacheDir: string | undefined;
const memo = new Map<string, Promise<unknown>>();

function once<T>(key: string, make: (dir: string) => Promise<T>): Promise<T> {
  let p = memo.get(key) as Promise<T> | undefined;
  if (p === undefined) {
    if (cacheDir === undefined) {
      const dir = Deno.makeTempDirSync({ prefix: "arcly-fixtures-" });
      cacheDir = dir;
      globalThis.addEventListener("unload", () => {
        try {
          Deno.removeSync(dir, { recursive: true });
        } catch { /* already gone */ }
      });
    }
    p = make(cacheDir);
    memo.set(key, p);
  }
  return p;
}

/** A 2 s H.264 (B-frames, GOP 1 s) + AAC 44.1 kHz stereo FLV made by ffmpeg, copied into `dir`. */
export async function makeH264AacFlv(dir: string): Promise<string> {
  const source = await once("h264_aac", writeH264AacFlv);
  const path = `${dir}/h264_aac.flv`;
  await Deno.copyFile(source, path);
  return path;
}

async function writeH264AacFlv(dir: string): Promise<string> {
  const path = `${dir}/h264_aac.flv`;
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    LAVFI_VIDEO,
    "-f",
    "lavfi",
    "-i",
    LAVFI_AUDIO,
    "-t",
    "2",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-bf",
    "2",
    "-g",
    "25",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-ac",
    "2",
    "-b:a",
    "64k",
    "-f",
    "flv",
    path,
  ]); // deno-fmt-ignore
  return path;
}

/**
 * 2 s of H.265 at 25 fps (no B-frames) as frames: one hvcC config frame, then
 * access units with parameter sets and AUDs stripped (the muxer must add them).
 */
export function makeHevcFrames(_dir?: string): Promise<MediaFrame[]> {
  return once("hevc", hevcFrames);
}

async function hevcFrames(dir: string): Promise<MediaFrame[]> {
  const path = `${dir}/video.hevc`;
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    LAVFI_VIDEO,
    "-t",
    "2",
    "-c:v",
    "libx265",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    "-x265-params",
    "bframes=0:aud=1:keyint=25:min-keyint=25:log-level=error",
    "-f",
    "hevc",
    path,
  ]); // deno-fmt-ignore
  const nals = splitAnnexB(await Deno.readFile(path));
  const vps: Uint8Array[] = [], sps: Uint8Array[] = [], pps: Uint8Array[] = [];
  const units: Uint8Array[][] = [];
  for (const nal of nals) {
    const type = (nal[0]! >> 1) & 0x3f;
    if (type === 35) units.push([]);
    else if (type === 32) vps.push(nal);
    else if (type === 33) sps.push(nal);
    else if (type === 34) pps.push(nal);
    else units.at(-1)?.push(nal);
  }
  const base = {
    kind: "video",
    codec: "h265",
    trackId: 0,
    timescale: 1000,
  } as const;
  const frames: MediaFrame[] = [{
    ...base,
    pts: 0,
    dts: 0,
    keyframe: true,
    config: true,
    data: buildHevcDecoderConfig({
      vps: vps.slice(0, 1),
      sps: sps.slice(0, 1),
      pps: pps.slice(0, 1),
    }),
  }]; // deno-fmt-ignore
  units.forEach((unit, i) => {
    const size = unit.reduce((n, u) => n + 4 + u.length, 0);
    const data = new Uint8Array(size);
    let pos = 0;
    for (const nal of unit) {
      new DataView(data.buffer).setUint32(pos, nal.length);
      data.set(nal, pos + 4);
      pos += 4 + nal.length;
    }
    const keyframe = unit.some((u) => {
      const t = (u[0]! >> 1) & 0x3f;
      return t >= 16 && t <= 23;
    });
    frames.push({ ...base, pts: i * 40, dts: i * 40, keyframe, config: false, data });
  });
  return frames;
}

/**
 * 2 s of Opus (48 kHz stereo, 20 ms packets) as frames: the OpusHead config
 * frame, then one frame per packet, read from an Ogg file made by ffmpeg.
 */
export function makeOpusFrames(_dir?: string): Promise<MediaFrame[]> {
  return once("opus", opusFrames);
}

async function opusFrames(dir: string): Promise<MediaFrame[]> {
  const path = `${dir}/audio.opus`;
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000",
    "-t",
    "2",
    "-ac",
    "2",
    "-c:a",
    "libopus",
    "-frame_duration",
    "20",
    "-f",
    "ogg",
    path,
  ]); // deno-fmt-ignore
  const ogg = await Deno.readFile(path);
  // RFC 3533 pages: "OggS", header_type, granule(8), serial, seq, crc,
  // segment count, lacing values; packets are runs of 255-valued lacing.
  const packets: Uint8Array[] = [];
  let partial: number[] = [];
  for (let p = 0; p < ogg.length;) {
    const segments = ogg[p + 26]!;
    let body = p + 27 + segments;
    for (let i = 0; i < segments; i++) {
      const lace = ogg[p + 27 + i]!;
      partial.push(...ogg.subarray(body, body + lace));
      body += lace;
      if (lace < 255) packets.push(new Uint8Array(partial)), partial = [];
    }
    p = body;
  }
  const base = {
    kind: "audio",
    codec: "opus",
    trackId: 0,
    timescale: 48000,
    keyframe: true,
  } as const;
  const frames: MediaFrame[] = [{
    ...base,
    pts: 0,
    dts: 0,
    config: true,
    data: packets[0]!,
  }];
  packets.slice(2).forEach((data, i) =>
    frames.push({ ...base, pts: i * 960, dts: i * 960, config: false, data })
  );
  return frames;
}

/** One parsed PES start seen in a transport stream. */
export interface TsPes {
  pid: number;
  pts: number;
  dts: number;
  randomAccess: boolean;
  pcr: number | undefined;
}

/** Walk our TS output: check sync bytes and continuity counters, list PES starts. */
export function scanTs(ts: Uint8Array): { pes: TsPes[]; pids: Set<number> } {
  if (ts.length % 188 !== 0) {
    throw new Error(`TS length ${ts.length} not a multiple of 188`);
  }
  const cc = new Map<number, number>();
  const pes: TsPes[] = [];
  const pids = new Set<number>();
  for (let p = 0; p < ts.length; p += 188) {
    if (ts[p] !== 0x47) throw new Error(`lost sync at ${p}`);
    const pid = ((ts[p + 1]! & 0x1f) << 8) | ts[p + 2]!;
    pids.add(pid);
    const counter = ts[p + 3]! & 0x0f;
    const last = cc.get(pid);
    if (last !== undefined && ((last + 1) & 15) !== counter) {
      throw new Error(`CC jump on PID ${pid} at ${p}: ${last} → ${counter}`);
    }
    cc.set(pid, counter);
    if ((ts[p + 1]! & 0x40) === 0 || pid === 0 || pid === 0x1000) continue;
    let q = p + 4;
    let randomAccess = false;
    let pcr: number | undefined;
    if ((ts[p + 3]! & 0x20) !== 0) {
      const len = ts[q]!;
      if (len > 0) {
        randomAccess = (ts[q + 1]! & 0x40) !== 0;
        if ((ts[q + 1]! & 0x10) !== 0) {
          pcr = ts[q + 2]! * 2 ** 25 + ts[q + 3]! * 2 ** 17 +
            ts[q + 4]! * 2 ** 9 +
            ts[q + 5]! * 2 + (ts[q + 6]! >> 7);
        }
      }
      q += 1 + len;
    }
    const flags = ts[q + 7]!;
    const pts = readTs(ts, q + 9);
    const dts = (flags & 0x40) !== 0 ? readTs(ts, q + 14) : pts;
    pes.push({ pid, pts, dts, randomAccess, pcr });
  }
  return { pes, pids };
}

function readTs(b: Uint8Array, p: number): number {
  return ((b[p]! >> 1) & 7) * 2 ** 30 +
    (b[p + 1]! << 7 | b[p + 2]! >> 1) * 2 ** 15 +
    ((b[p + 3]! << 7) | (b[p + 4]! >> 1));
}
