/**
 * {@linkcode FfmpegProgressParser}: turns ffmpeg's stderr (`-progress pipe:2`
 * `key=value` blocks ending in `progress=continue|end`, mixed with error
 * lines) into {@linkcode FfmpegProgress} snapshots and keeps the last error
 * lines for crash reports.
 *
 * Data path: stderr chunks are decoded and split into lines; a partial line
 * is kept up to 4 KiB, at most 8 error lines are retained. Nothing else is
 * buffered.
 *
 * @module
 */

/**
 * One progress snapshot of an ffmpeg run.
 *
 * @example
 * ```ts
 * import type { FfmpegProgress } from "@arcly/stream/transcode";
 * const p: FfmpegProgress = { frame: 250, fps: 25, speed: 1, bitrateKbps: 1200, outTimeMs: 10_000, totalSize: 1_500_000 };
 * ```
 */
export interface FfmpegProgress {
  /** Frames encoded so far. */
  readonly frame: number;
  /** Encoding frames per second (ffmpeg's average). */
  readonly fps: number;
  /** Encoding speed relative to real time (1 = real time). */
  readonly speed: number;
  /** Output bit rate, kbit/s. */
  readonly bitrateKbps: number;
  /** Output position, ms. */
  readonly outTimeMs: number;
  /** Bytes written so far. */
  readonly totalSize: number;
}

const MAX_LINE = 4096;
const MAX_ERROR_LINES = 8;

/**
 * Incremental parser of ffmpeg's stderr.
 *
 * @example
 * ```ts
 * import { FfmpegProgressParser } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 *
 * const parser = new FfmpegProgressParser();
 * const out = parser.push(new TextEncoder().encode(
 *   "frame=50\nfps=25.0\nbitrate=1200.5kbits/s\nout_time_us=2000000\nspeed=1.01x\nprogress=continue\n[x] oops\n",
 * ));
 * assert.equal(out.length, 1);
 * assert.equal(out[0]!.frame, 50);
 * assert.equal(out[0]!.speed, 1.01);
 * assert.deepEqual(parser.errors, ["[x] oops"]);
 * ```
 */
export class FfmpegProgressParser {
  #decoder = new TextDecoder();
  #partial = "";
  #fields = new Map<string, string>();
  #errors: string[] = [];
  #last: FfmpegProgress | undefined;

  /** The last complete snapshot, if any. */
  get last(): FfmpegProgress | undefined {
    return this.#last;
  }

  /** The last error lines ffmpeg printed (at most 8). */
  get errors(): readonly string[] {
    return this.#errors;
  }

  /**
   * Feed a stderr chunk.
   *
   * @param chunk bytes from ffmpeg's stderr
   * @returns the snapshots completed by this chunk
   */
  push(chunk: Uint8Array): FfmpegProgress[] {
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split(/\r?\n|\r/);
    this.#partial = (lines.pop() ?? "").slice(-MAX_LINE);
    const out: FfmpegProgress[] = [];
    for (const line of lines) {
      const snapshot = this.#line(line.trim());
      if (snapshot) out.push(snapshot);
    }
    return out;
  }

  #line(line: string): FfmpegProgress | undefined {
    if (line.length === 0) return undefined;
    const m = /^([a-z_0-9]+)=(.*)$/.exec(line);
    if (!m) {
      this.#errors.push(line.slice(0, 300));
      if (this.#errors.length > MAX_ERROR_LINES) this.#errors.shift();
      return undefined;
    }
    if (m[1] !== "progress") {
      if (this.#fields.size < 64 || this.#fields.has(m[1]!)) {
        this.#fields.set(m[1]!, m[2]!.trim());
      }
      return undefined;
    }
    const f = this.#fields;
    const num = (key: string): number => {
      const value = Number.parseFloat(f.get(key) ?? "");
      return Number.isFinite(value) ? value : 0;
    };
    this.#last = {
      frame: num("frame"),
      fps: num("fps"),
      speed: num("speed"),
      bitrateKbps: num("bitrate"),
      outTimeMs: Math.round(num("out_time_us") / 1000),
      totalSize: num("total_size"),
    };
    this.#fields.clear();
    return this.#last;
  }
}
