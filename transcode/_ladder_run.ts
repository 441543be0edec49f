// One ffmpeg run of a whole ladder (lazy renditions of one source): one
// subscription, one StdinFeeder (FLV tags, one write per drained batch), one
// decode in ffmpeg, one encoder per rendition. ffmpeg's input and each
// rendition's output are sockets: ffmpeg reads FLV from one and writes each
// rendition's FLV to its own (it has one stdout; and a socket is written with
// `conn.write`, without the Web Streams writer of a child's stdin pipe).
// With an I/O tick (`ioIntervalMs`, _io_tick.ts; default off) the
// subscription is taken and each socket read at most once per tick.
// Ticked sockets (`tickMs` > 0, `ladderOutput: "ticked"`, _ticked_io.ts):
// the input and outputs are libc TCP sockets on 127.0.0.1 that no epoll
// watches once accepted; the outputs are drained (read until EAGAIN) once
// per tick of `tickMs`, the input is sent to at once and its unsent tail on
// the next tick, so ffmpeg's writes never wake the event loop.
//
// Sockets: _ladder_sockets.ts (Unix, loopback TCP or ticked; ffmpeg
// connects to each within `acceptMs` of the first frame queued).
//
// Data path: the source's frames (bytes in the source's slabs) are queued
// for ffmpeg by reference, bounded by bytes and media time (StdinFeeder),
// and their FLV tags are written once, at the write, into the feeder's one
// reused write buffer; the audio bypasses ffmpeg: a reference to each audio
// frame waits in every rendition's BypassMerger (bounded by frames) and is
// merged back by decode time. Each output socket is read straight into the
// free tail of its rendition's slab page (FlvTagSlab: the kernel's copy is
// the only one; complete tags are parsed in place, pages never reused);
// frames are handed out by `next()` (one batch per read; ticked: per
// drain, at most MAX_READS_PER_DRAIN reads), and a socket is read only when
// its `next()` is called (back-pressure reaches ffmpeg through the socket).
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import { ladderArgs } from "./ffmpeg_args.ts";
import { FfmpegProgressParser } from "./ffmpeg_progress.ts";
import { runGranted } from "./ffmpeg_transcoder.ts";
import type { FrameBatches, FramePoll } from "./frame_batches.ts";
import type { PlannedRendition } from "./ladder.ts";
import type { PipeTagCache } from "./pipe_tags.ts";
import { BypassMerger } from "./_bypass_merger.ts";
import { FlvTagSlab } from "./_flv_tag_slab.ts";
import { pullFrames, StdinFeeder } from "./_stdin_feeder.ts";
import { IoTick } from "./_io_tick.ts";
import {
  type DrainEnd,
  drainTicked,
  tickedAvailable,
  tickedWriter,
} from "./_ticked_io.ts";
import { LadderListeners } from "./_ladder_sockets.ts";
import type { FfiTcpSocket } from "../protocols/net/mod.ts";
import type { Clock } from "../src/clock.ts";

const OUTPUT_SLAB_BYTES = 256 << 10;

/** What one ladder run needs. */
export interface LadderRunOptions {
  /** The source key (errors). */
  name: string;
  renditions: readonly PlannedRendition[];
  ffmpegPath: string;
  preset: string;
  threads: number;
  maxQueueBytes: number;
  maxQueueMs: number;
  tags?: PipeTagCache | undefined;
  /** How long ffmpeg may take to connect its outputs, from the first frame queued (default 15 s). */
  acceptMs?: number | undefined;
  /** The clock of the I/O tick (the host's). */
  clock: Clock;
  /** Pipe I/O on a shared tick of this many ms (0: as events arrive; see _io_tick.ts). */
  ioIntervalMs: number;
  /** ffmpeg writes every output packet at once (true) or when its 32 KiB buffer is full. */
  flushPackets: boolean;
  /** > 0: ticked sockets (FFI, off any epoll) drained on a tick of this many ms; 0: Deno's sockets. */
  tickMs?: number | undefined;
}

/** A started ladder run: one output per rendition, in the order given. */
export interface LadderRun {
  readonly pid: number;
  readonly outputs: FrameBatches[];
  readonly progress: FfmpegProgressParser;
  readonly feeder: StdinFeeder;
  readonly mergers: BypassMerger[];
  /** Kill ffmpeg and wait for the run to end. */
  cancel(): Promise<void>;
}

const failed = (o: LadderRunOptions, why: string, cause?: unknown) =>
  new StreamError(
    "Unsupported",
    `Cannot start ffmpeg for the ladder of ${o.name}: ${why}`,
    cause === undefined ? undefined : { cause },
  );

/** Spawn ffmpeg for the ladder and wait until every output is connected. */
export async function openLadder(
  o: LadderRunOptions,
  input: FramePoll,
  signal: AbortSignal,
): Promise<LadderRun> {
  if (!runGranted(o.ffmpegPath)) {
    throw failed(o, `no permission to run ${o.ffmpegPath}`);
  }
  const tickMs = o.tickMs ?? 0;
  const ticked = tickMs > 0;
  if (ticked && !tickedAvailable()) {
    throw failed(o, "ticked sockets need Linux and --allow-ffi");
  }
  let listeners: LadderListeners;
  try {
    listeners = await LadderListeners.open(o.renditions.length + 1, ticked);
  } catch (error) {
    throw failed(o, (error as Error).message, error);
  }
  const urls = listeners.urls;
  let child: Deno.ChildProcess;
  try {
    // One socket per rendition, and the last one for ffmpeg's input.
    const args = ladderArgs(o.renditions, urls.slice(0, -1), {
      preset: o.preset,
      threads: o.threads,
      flushPackets: o.flushPackets,
    });
    args[args.indexOf("pipe:0")] = urls.at(-1)!;
    child = new Deno.Command(o.ffmpegPath, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    await listeners.close();
    throw failed(o, (error as Error).message, error);
  }

  // One ffmpeg per ladder: the tags are written once anyway, straight into
  // the feeder's write buffer (no shared tag cache needed).
  const feeder = new StdinFeeder(
    "flv",
    o.maxQueueBytes,
    o.maxQueueMs,
    o.tags,
    true,
  );
  const tick = new IoTick(o.clock, o.ioIntervalMs);
  // The ticked sockets' tick (one timer for all of them); once it is
  // closed (the run ends) a wait is one interval on the clock, so a drain
  // never spins while ffmpeg exits.
  const socketTick = ticked ? new IoTick(o.clock, tickMs) : tick;
  const pace = (): Promise<void> =>
    socketTick.active ? socketTick.wait() : new Promise<void>((resolve) => {
      o.clock.setTimer(tickMs, resolve);
    });
  const mergers = o.renditions.map(() => new BypassMerger("audio"));
  const progress = new FfmpegProgressParser();
  const conns: Deno.Conn[] = [];
  const sockets: FfiTcpSocket[] = [];
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    feeder.close();
    tick.close();
    socketTick.close();
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    for (const conn of [...conns, ...sockets]) {
      try {
        conn.close();
      } catch { /* closed at its end */ }
    }
  };
  const onAbort = () => kill();
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) kill();

  // stdin: the subscription's frames, video to ffmpeg, audio to every merger.
  let firstFrame: () => void = () => {};
  const fed = new Promise<void>((resolve) => firstFrame = resolve);
  const pullInput = pullFrames(input, feeder, () => killed, (frame) => {
    if (frame.kind === "audio") {
      for (const merger of mergers) merger.add(frame);
    } else feeder.push(frame);
  }, () => {
    if (feeder.queuedBytes > 0) firstFrame();
  }, tick);
  // ffmpeg's input is a socket like its outputs, written with `conn.write`
  // (no Web Streams writer on the way), from when ffmpeg connects to it.
  let writeStdin: Promise<void> = Promise.resolve();
  const startWriting = (conn: Deno.Conn) => {
    const writer = {
      write: async (chunk: Uint8Array): Promise<void> => {
        for (let at = 0; at < chunk.length;) {
          at += await conn.write(chunk.subarray(at));
        }
      },
    };
    writeStdin = feeder.run(writer).then(
      () => (conn as Deno.UnixConn | Deno.TcpConn).closeWrite(),
      () => {/* EPIPE: ffmpeg exited; its status tells why */},
    ).catch(() => {});
  };
  const startTicked = (socket: FfiTcpSocket) => {
    writeStdin = feeder.run(tickedWriter(socket, pace)).then(
      () => socket.closeWrite(),
      () => {/* EPIPE: ffmpeg exited; its status tells why */},
    ).catch(() => {});
  };
  const readStderr = (async () => {
    for await (const chunk of child.stderr) progress.push(chunk);
  })().catch(() => {});

  let finished: Promise<Deno.CommandStatus> | undefined;
  const finish = (): Promise<Deno.CommandStatus> =>
    finished ??= (async () => {
      signal.removeEventListener("abort", onAbort);
      feeder.close();
      tick.close();
      socketTick.close();
      input.close("transcoder run ended");
      const status = await child.status;
      await Promise.all([pullInput, writeStdin, readStderr]);
      return status;
    })();

  // Accept exactly one connection per socket, within the deadline.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let accepting = true;
  try {
    const deadline = fed.then(() =>
      new Promise<never>((_, reject) => {
        if (!accepting) return; // connected before: no deadline to arm
        timer = setTimeout(
          () =>
            reject(
              failed(
                o,
                `ffmpeg did not connect within ${o.acceptMs ?? 15_000} ms`,
              ),
            ),
          o.acceptMs ?? 15_000,
        );
      })
    );
    const exited = child.status.then((status) => {
      throw failed(
        o,
        `ffmpeg exited with ${
          status.signal ?? `code ${status.code}`
        } before connecting (${progress.errors.at(-1) ?? "no error output"})`,
      );
    });
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(failed(o, "stopped"));
      signal.addEventListener("abort", () => reject(failed(o, "stopped")), {
        once: true,
      });
    });
    const accepted = Promise.all(urls.map(async (_, i) => {
      const last = i === o.renditions.length;
      const c = await listeners.accept(i);
      if (c.ticked) {
        if (killed) c.socket.close(); // accepted after the run was stopped
        sockets[i] = c.socket;
        if (last) startTicked(c.socket);
      } else {
        conns[i] = c.conn;
        if (last) startWriting(c.conn);
      }
    }));
    const waits = [accepted, deadline, exited, aborted];
    for (const wait of waits) wait.catch(() => {}); // the losers settle later
    await Promise.race(waits);
  } catch (error) {
    kill();
    await listeners.close();
    await finish();
    throw error;
  } finally {
    accepting = false;
    clearTimeout(timer);
  }
  await listeners.close();

  const output = (i: number): FrameBatches => {
    const conn: { close(): void } = ticked ? sockets[i]! : conns[i]!;
    const merger = mergers[i]!;
    const slab = new FlvTagSlab(OUTPUT_SLAB_BYTES);
    let done = false;
    /** The end of this output's last drain (ticked: "more" drains at once). */
    let drained: DrainEnd = "more";
    // End of stream: the run's status decides between an error, the
    // bypassed frames still waiting (a clean exit) and the end.
    const ended = async (): Promise<MediaFrame[] | null> => {
      done = true;
      try {
        conn.close();
      } catch { /* closed already */ }
      const status = await finish();
      if (!status.success && !killed) {
        throw new StreamError(
          "Protocol",
          `Cannot transcode ${o.name} (${
            o.renditions[i]!.name
          }): ffmpeg exited with ${status.signal ?? `code ${status.code}`} (${
            progress.errors.at(-1) ?? "no error output"
          })`,
        );
      }
      if (status.success) {
        const rest: MediaFrame[] = [];
        merger.drain(rest);
        if (rest.length > 0) return rest;
      }
      return null;
    };
    const badOutput = async (error: unknown): Promise<never> => {
      done = true;
      kill();
      await finish();
      throw error;
    };
    const merge = (frames: MediaFrame[]): MediaFrame[] => {
      feeder.armTimeBound();
      const merged: MediaFrame[] = [];
      for (const frame of frames) merger.merge(frame, merged);
      return merged;
    };
    const nextTicked = async (): Promise<MediaFrame[] | null> => {
      // Drain at each tick (at once after a drain cut by its read bound).
      while (!done) {
        if (drained !== "more") await pace();
        if (done) break;
        const frames: MediaFrame[] = [];
        try {
          drained = drainTicked(sockets[i]!, slab, frames);
        } catch (error) {
          return await badOutput(error);
        }
        if (frames.length > 0) return merge(frames);
        if (drained === "eof") return await ended();
      }
      return null;
    };
    const next = async (): Promise<MediaFrame[] | null> => {
      // One read per tick; the rest of a partly read tag is read at once.
      if (tick.active) await tick.wait();
      while (!done) {
        let n: number | null;
        try {
          n = await conns[i]!.read(slab.space());
        } catch {
          n = null;
        }
        if (n === null) return await ended();
        let frames: MediaFrame[];
        try {
          frames = slab.commit(n);
        } catch (error) {
          return await badOutput(error);
        }
        if (frames.length > 0) return merge(frames);
      }
      return null;
    };
    const cancel = async (): Promise<void> => {
      done = true;
      kill();
      await finish();
    };
    return { next: ticked ? nextTicked : next, cancel };
  };
  const outputs = o.renditions.map((_, i) => output(i));
  return {
    pid: child.pid,
    outputs,
    progress,
    feeder,
    mergers,
    cancel: async () => {
      kill();
      await finish();
    },
  };
}
