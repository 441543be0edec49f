// The bounded queue between a frame source and ffmpeg's stdin: frames are
// serialized once into the pipe container (FLV tags shared by the renditions
// of a source through their service's PipeTagCache, or MPEG-TS), queued up to
// `maxBytes` and `maxMs` of media, and written in one `write` per drained
// batch. When the queue is full (ffmpeg does not read: it is slower than
// real time), frames are dropped up to the next video keyframe (audio-only:
// the next frame that fits) and counted; nothing is buffered without bound,
// and a rendition never falls more than about `maxMs` behind its source.
import { FlvMuxer } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { MpegTsMuxer } from "../media/mpegts/mod.ts";
import type { PipeFormat } from "./ffmpeg_args.ts";
import { PipeTagCache } from "./pipe_tags.ts";
import type { FramePoll } from "./frame_batches.ts";
import type { IoTick } from "./_io_tick.ts";

/** Serializes frames into the container ffmpeg reads. */
export class PipeEncoder {
  #format: PipeFormat;
  #flv = new FlvMuxer();
  #ts = new MpegTsMuxer();
  #started = false;
  #hasVideo = false;
  #tags: PipeTagCache;

  /** `tags`: FLV tags shared with the other renditions of the source. */
  constructor(format: PipeFormat, tags: PipeTagCache = new PipeTagCache()) {
    this.#format = format;
    this.#tags = tags;
  }

  /** True once a video config was seen (keyframe-aligned dropping applies). */
  get hasVideo(): boolean {
    return this.#hasVideo;
  }

  /**
   * The FLV tag length of `frame` when its tag can be written later, at the
   * write (an FLV media frame once the header is out), else undefined.
   */
  laterLength(frame: MediaFrame): number | undefined {
    if (
      this.#format !== "flv" || !this.#started || frame.config ||
      frame.kind === "data"
    ) return undefined;
    this.#one[0] = frame;
    return this.#flv.byteLengthOf(this.#one);
  }

  /** Write the tag of a frame `laterLength` accepted into `dst` at `pos`; returns the end. */
  writeLater(frame: MediaFrame, dst: Uint8Array, pos: number): number {
    this.#one[0] = frame;
    return this.#flv.writeInto(this.#one, dst, pos);
  }
  #one: MediaFrame[] = [];

  /** Bytes for `frame`, or null when it is held back (configs before the first media frame, script data). */
  encode(frame: MediaFrame): Uint8Array | null {
    if (frame.kind === "data") return null;
    if (frame.kind === "video" && frame.config) this.#hasVideo = true;
    if (this.#format === "mpegts") {
      if (!frame.config) return this.#ts.mux([frame]);
      this.#ts.configure(frame);
      return null;
    }
    if (!this.#started) {
      this.#flv.configure(frame);
      if (frame.config) return null;
      this.#started = true;
      const head = this.#flv.initSegment();
      const tag = this.#flv.mux([frame]);
      const out = new Uint8Array(head.length + tag.length);
      out.set(head, 0);
      out.set(tag, head.length);
      return out;
    }
    if (frame.config) return this.#flv.mux([frame]);
    return this.#tags.tagOf(frame, this.#flv);
  }
}

/** Queue + drop policy + write loop. */
export class StdinFeeder {
  #encoder: PipeEncoder;
  #maxBytes: number;
  #maxMs: number;
  #timeBound = false;
  /** Media time of the oldest frame not yet taken by the pipe (queued or being written). */
  #firstMs: number | undefined;
  /** Media time of each queued part (the next oldest once a write completes). */
  #queueMs: number[] = [];
  /** Bytes to write, or (with `writeTags`) media frames whose FLV tag is written straight into the write buffer. */
  #queue: (Uint8Array | MediaFrame)[] = [];
  #writeTags: boolean;
  #queued = 0;
  #dropping = false;
  #dropped = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  /** Where the parts of a batch are joined for one write (grows to the largest batch, at most maxBytes). */
  #scratch = new Uint8Array(0);

  constructor(
    format: PipeFormat,
    maxBytes: number,
    maxMs = Infinity,
    tags?: PipeTagCache,
    writeTags = false,
  ) {
    this.#encoder = new PipeEncoder(format, tags);
    this.#maxBytes = maxBytes;
    this.#maxMs = maxMs;
    this.#writeTags = writeTags;
  }

  /** Frames dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes waiting for ffmpeg. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * Apply the media-time bound from now on. Called once ffmpeg produced its
   * first output: its start-up (probing, encoder set-up) is not falling
   * behind, and a rendition that dropped its first GOPs would number its
   * HLS segments differently from its siblings.
   */
  armTimeBound(): void {
    this.#timeBound = true;
  }

  /** Queue one frame (or drop it, see the module comment). */
  push(frame: MediaFrame): void {
    if (this.#closed) return;
    const resumes = frame.config ||
      (this.#encoder.hasVideo
        ? frame.kind === "video" && frame.keyframe
        : frame.kind === "audio");
    if (this.#dropping && !resumes) {
      this.#dropped++;
      return;
    }
    // With `writeTags` a media frame's tag is built at the write, in the
    // reused write buffer (no tag slab: no fresh pages per frame).
    const later = this.#writeTags
      ? this.#encoder.laterLength(frame)
      : undefined;
    const bytes = later === undefined ? this.#encoder.encode(frame) : null;
    if (later === undefined && bytes === null) return;
    const size = later ?? bytes!.length;
    const ms = frame.dts * 1000 / frame.timescale;
    const tooLate = this.#timeBound && this.#firstMs !== undefined &&
      ms - this.#firstMs > this.#maxMs;
    if ((this.#queued + size > this.#maxBytes || tooLate) && !frame.config) {
      this.#dropping = true;
      this.#dropped++;
      return;
    }
    this.#dropping = false;
    this.#firstMs ??= ms;
    this.#queue.push(later === undefined ? bytes! : frame);
    this.#queueMs.push(ms);
    this.#queued += size;
    this.#wake?.();
  }

  /** No more frames: the write loop ends once the queue is drained. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Write queued bytes until closed and drained, or a write fails (ffmpeg gone). */
  async run(
    writer: Pick<WritableStreamDefaultWriter<Uint8Array>, "write">,
    coalesceMs = 0,
  ): Promise<void> {
    while (true) {
      if (this.#queue.length === 0) {
        if (this.#closed) return;
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#wake = undefined;
        // Let the frames of the next few ms join this write (one pipe write
        // per batch instead of one per frame).
        if (coalesceMs > 0 && !this.#closed) {
          await new Promise((resolve) => setTimeout(resolve, coalesceMs));
        }
        continue;
      }
      const parts = this.#queue.splice(0);
      this.#queueMs.length = 0;
      const total = this.#queued;
      this.#queued = 0;
      const first = parts[0]!;
      let batch: Uint8Array;
      if (parts.length === 1 && first instanceof Uint8Array) batch = first;
      else {
        // One reused buffer (the pipe is done with it once the write
        // resolved): no fresh, zeroed allocation per write.
        if (this.#scratch.length < total) {
          this.#scratch = new Uint8Array(Math.max(total, 64 << 10));
        }
        batch = this.#scratch.subarray(0, total);
        let pos = 0;
        for (const part of parts) {
          if (part instanceof Uint8Array) {
            batch.set(part, pos);
            pos += part.length;
          } else pos = this.#encoder.writeLater(part, batch, pos);
        }
      }
      await writer.write(batch);
      // The pipe took the batch: the bound counts from the oldest frame
      // still waiting (a batch being written still counts as behind).
      this.#firstMs = this.#queueMs[0];
    }
  }
}

/**
 * Take a subscription's frames in batches (`takeAll()` after each
 * `ready()`: one wake-up per publish; with an active `tick`, at most one
 * per tick: the frames published meanwhile are taken together) into `take`
 * until it closes, it is evicted, or `stopped()`; `afterBatch` runs after
 * each batch. Then the feeder is closed (its write loop drains and ends).
 */
export async function pullFrames(
  input: FramePoll,
  feeder: StdinFeeder,
  stopped: () => boolean,
  take: (frame: MediaFrame) => void,
  afterBatch?: () => void,
  tick?: IoTick,
): Promise<void> {
  try {
    while (!stopped()) {
      const frames = input.takeAll();
      if (frames.length === 0) {
        if (input.isClosed) break;
        await input.ready();
        if (tick?.active) await tick.wait();
        continue;
      }
      for (const frame of frames) take(frame);
      afterBatch?.();
      if (tick?.active) await tick.wait();
    }
  } catch { /* evicted: end the run like an end of input */ }
  feeder.close();
}
