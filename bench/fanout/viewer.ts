/**
 * Base class of the load client's byte-counting viewers (HTTP-FLV and RTMP).
 *
 * Data path: one `Deno.connect` TCP connection, one reusable read buffer
 * (`READ_BUFFER_BYTES`) per viewer, and a protocol parser that only walks tag or
 * chunk headers (payload bytes are skipped, never copied) so 1,000 viewers stay
 * cheap for the load-client process. Memory per viewer is bounded by the read
 * buffer plus the parser's small scratch buffers.
 *
 * Times are `performance.now()` milliseconds taken when a read returns.
 *
 * @module
 */

/**
 * Per-viewer read buffer: one paced read (100 ms) must drain several times the
 * stream's rate (3.2 Mbit/s ≈ 40 KB per 100 ms) so a viewer catches up after a
 * GOP burst; 1,000 viewers × 256 KiB = 256 MiB in the load client.
 */
const READ_BUFFER_BYTES = 256 * 1024;

/**
 * Shared read pacing: once a viewer has its first keyframe it reads at most
 * once per tick, so 1,000 viewers cost the load client ~10 reads/s each
 * instead of one per server write (~77/s). The kernel socket buffer (far
 * larger than one tick of a 3.2 Mbit/s stream) absorbs the gap, so the server
 * sees the same writable sockets and does the same work; milestones (first
 * byte, first keyframe) are measured before pacing starts.
 */
class Pacer {
  #ms: number;
  #tick: Promise<void> | null = null;
  constructor(ms: number) {
    this.#ms = ms;
  }
  /** Resolves at the next shared tick (one timer for every viewer). */
  next(): Promise<void> {
    this.#tick ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        this.#tick = null;
        resolve();
      }, this.#ms)
    );
    return this.#tick;
  }
}

let pacer: Pacer | null = null;

/**
 * Sets the read pacing of every viewer in this process.
 *
 * @param ms Tick in ms; 0 reads as fast as data arrives.
 */
export function setReadPacing(ms: number): void {
  pacer = ms > 0 ? new Pacer(ms) : null;
}

/** What a viewer observed; all times are `performance.now()` ms, -1 when not reached. */
export interface ViewerTimes {
  startedAt: number;
  firstByteAt: number;
  firstMediaAt: number;
  firstKeyframeAt: number;
}

/** A viewer connection that counts delivered bytes and tracks media time. */
export abstract class Viewer {
  readonly hostname: string;
  readonly port: number;
  startedAt = -1;
  firstByteAt = -1;
  firstMediaAt = -1;
  firstKeyframeAt = -1;
  /** Bytes read from the socket (protocol overhead included). */
  bytes = 0;
  /** Largest audio/video timestamp seen (ms), -1 before the first media message. */
  mediaTs = -1;
  /** Set when the connection failed or the peer closed it. */
  error: string | null = null;
  /** True once the socket ended (EOF or error) without us closing it. */
  endedByPeer = false;
  #conn: Deno.TcpConn | null = null;
  #closed = false;
  #gate: PromiseWithResolvers<void> | null = null;
  #writeChain: Promise<void> = Promise.resolve();
  #firstByte = Promise.withResolvers<void>();
  #keyframe = Promise.withResolvers<void>();
  #ended = Promise.withResolvers<void>();

  constructor(hostname: string, port: number) {
    this.hostname = hostname;
    this.port = port;
    // Never leave these rejected-unobserved: callers race them against deadlines.
    this.#firstByte.promise.catch(() => {});
    this.#keyframe.promise.catch(() => {});
  }

  /** Resolves at the first byte from the server. */
  get firstByte(): Promise<void> {
    return this.#firstByte.promise;
  }

  /** Resolves when the first complete video keyframe has arrived. */
  get keyframe(): Promise<void> {
    return this.#keyframe.promise;
  }

  /** Resolves when the read loop has stopped. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  /** Snapshot of the milestone times. */
  times(): ViewerTimes {
    return {
      startedAt: this.startedAt,
      firstByteAt: this.firstByteAt,
      firstMediaAt: this.firstMediaAt,
      firstKeyframeAt: this.firstKeyframeAt,
    };
  }

  /** Connects and runs the read loop in the background. */
  start(): void {
    this.startedAt = performance.now();
    this.#run().finally(() => this.#ended.resolve());
  }

  /** Stops reading from the socket (the server's buffers fill up). */
  pause(): void {
    this.#gate ??= Promise.withResolvers<void>();
  }

  /** Resumes reading after `pause()`. */
  resume(): void {
    const gate = this.#gate;
    this.#gate = null;
    gate?.resolve();
  }

  /** Closes the connection; the read loop ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.resume();
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
  }

  /** Sends the request or handshake once connected. */
  protected abstract onOpen(): void;

  /** Consumes `buf[off, end)` received at `now`. */
  protected abstract feed(
    buf: Uint8Array,
    off: number,
    end: number,
    now: number,
  ): void;

  /** Queues bytes for the server, in order. */
  protected send(bytes: Uint8Array): void {
    const conn = this.#conn;
    if (conn === null) return;
    this.#writeChain = this.#writeChain.then(async () => {
      let off = 0;
      while (off < bytes.length && !this.#closed) {
        off += await conn.write(bytes.subarray(off));
      }
    }).catch((e: unknown) => {
      this.fail(`write: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Records a media message (audio or video) with timestamp `ts`. */
  protected media(ts: number, now: number): void {
    if (this.firstMediaAt < 0) this.firstMediaAt = now;
    if (ts > this.mediaTs) this.mediaTs = ts;
  }

  /** Records the arrival of the last byte of a video keyframe. */
  protected keyframeComplete(now: number): void {
    if (this.firstKeyframeAt >= 0) return;
    this.firstKeyframeAt = now;
    this.#keyframe.resolve();
  }

  /** Marks the viewer as failed and closes it. */
  protected fail(message: string): void {
    this.error ??= message;
    this.#keyframe.reject(new Error(message));
    this.#firstByte.reject(new Error(message));
    this.close();
  }

  async #run(): Promise<void> {
    try {
      this.#conn = await Deno.connect({
        hostname: this.hostname,
        port: this.port,
      });
      // Our small handshake/command writes must not wait on Nagle + delayed ACK:
      // join time should measure the server, not the client's socket options.
      this.#conn.setNoDelay(true);
    } catch (e) {
      this.fail(`connect: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (this.#closed) {
      this.#conn.close();
      return;
    }
    this.onOpen();
    const buf = new Uint8Array(READ_BUFFER_BYTES);
    const conn = this.#conn;
    try {
      while (!this.#closed) {
        if (this.#gate !== null) await this.#gate.promise;
        if (pacer !== null && this.firstKeyframeAt >= 0) await pacer.next();
        if (this.#closed) break;
        const n = await conn.read(buf);
        if (n === null) {
          this.endedByPeer = true;
          this.fail("EOF");
          break;
        }
        const now = performance.now();
        if (this.firstByteAt < 0) {
          this.firstByteAt = now;
          this.#firstByte.resolve();
        }
        this.bytes += n;
        this.feed(buf, 0, n, now);
      }
    } catch (e) {
      if (!this.#closed) {
        this.endedByPeer = true;
        this.fail(`read: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

/** True when an FLV/RTMP video body starting with `b0`,`b1` is a complete keyframe picture (not a sequence header). */
export function isKeyframePicture(b0: number, b1: number): boolean {
  if ((b0 & 0x80) !== 0) {
    // Enhanced RTMP (veovera v1/v2): [isExHeader:1][FrameType:3][PacketType:4].
    const frameType = (b0 >> 4) & 0x07;
    const packetType = b0 & 0x0f;
    return frameType === 1 && (packetType === 1 || packetType === 3);
  }
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (frameType !== 1) return false;
  // AVC (7) and legacy HEVC (12) carry AVCPacketType: 1 = NALU, 0 = sequence header.
  if (codecId === 7 || codecId === 12) return b1 === 1;
  return true;
}
