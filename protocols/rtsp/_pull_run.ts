/**
 * One connection of a camera pull: OPTIONS, DESCRIBE (401 answered from the
 * URL's user info), SETUP of every track `media/rtp` can depacketize (TCP
 * interleaved, or UDP on a local port pair per track), PLAY, then RTP →
 * {@linkcode RecordIngest} (reordered on UDP, aligned on `RTP-Info`
 * rtptime) → a bounded frame queue that the pull source drains.
 *
 * Liveness: keep-alive GET_PARAMETER every half session timeout; the run
 * fails (and the source reconnects) when no RTP arrives for
 * `stallTimeoutMs`, or, on UDP, within `udpTimeoutMs` of PLAY
 * ({@linkcode UdpSilentError}: the source falls back to TCP).
 *
 * Memory: at most `maxQueuedFrames` frames queued (newest dropped and
 * counted past it), one depacketizer and reorder buffer per track.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { StreamError } from "../../media/stream_error.ts";
import type { Clock } from "../../src/clock.ts";
import { createDepacketizer } from "../../media/rtp/mod.ts";
import { parseSdp } from "../../media/sdp/mod.ts";
import { RtspClientConnection } from "./client.ts";
import {
  formatTransport,
  parseRtpInfo,
  parseTransport,
  resolveControl,
} from "./headers.ts";
import { type AnnouncedTrack, RecordIngest, tracksOf } from "./_record.ts";
import { UdpPair } from "./_udp.ts";

/** UDP brought nothing: try TCP. */
export class UdpSilentError extends StreamError {
  constructor(ms: number) {
    super("Timeout", `Cannot receive RTP over UDP: nothing in ${ms} ms`);
  }
}

/** What a run needs from its source. */
export interface PullRunOptions {
  url: URL;
  transport: "tcp" | "udp";
  clock: Clock;
  timeoutMs: number;
  stallTimeoutMs: number;
  udpTimeoutMs: number;
  maxQueuedFrames: number;
  caCerts: string[] | undefined;
  /** Added to every frame's timestamps, ms (continuity across reconnects). */
  offsetMs: () => number;
  unsupported: (track: number, error: StreamError) => void;
}

/** One connection's session (see the module doc). */
export class PullRun {
  #o: PullRunOptions;
  #conn: RtspClientConnection | undefined;
  #udp: UdpPair[] = [];
  #queue: MediaFrame[] = [];
  #wake: (() => void) | undefined;
  #error: unknown;
  #ended = false;
  #timers: (() => void)[] = [];
  #lastPacketAt = 0;
  #packets = 0;
  #offsetMs = 0;
  ingest: RecordIngest | undefined;
  /** Frames dropped because the queue was full. */
  overflow = 0;
  /** Track descriptions of the setup tracks ("video H264/90000"). */
  described: string[] = [];

  constructor(options: PullRunOptions) {
    this.#o = options;
  }

  /** Connect, describe, set up and play. */
  async start(): Promise<void> {
    const o = this.#o;
    const url = new URL(o.url.href);
    const conn = await RtspClientConnection.connect(url, {
      timeoutMs: o.timeoutMs,
      clock: o.clock,
      ...(o.caCerts ? { caCerts: o.caCerts } : {}),
    });
    this.#conn = conn;
    conn.closed.then(() => this.#end());
    const clean = new URL(url.href);
    clean.username = "";
    clean.password = "";
    const uri = clean.href;
    await conn.request("OPTIONS", uri);
    const described = await conn.request("DESCRIBE", uri, [[
      "Accept",
      "application/sdp",
    ]]);
    check(described.status, "DESCRIBE", uri);
    const base = described.headers.get("content-base") ??
      described.headers.get("content-location") ?? uri;
    const tracks = tracksOf(parseSdp(new TextDecoder().decode(described.body)));
    const selected: number[] = [];
    tracks.forEach((t, i) => {
      if (t.format === undefined) return;
      try {
        createDepacketizer(t.format);
        selected.push(i);
      } catch (error) {
        if (error instanceof StreamError) o.unsupported(i, error);
      }
    });
    if (selected.length === 0) {
      throw new StreamError(
        "Unsupported",
        `Cannot pull ${uri}: no track can be depacketized (${
          tracks.map((t) => t.format?.encodingName ?? "?").join(", ")
        })`,
      );
    }
    const channels = new Map<number, number>();
    const controls: string[] = [];
    for (const [k, i] of selected.entries()) {
      const track = tracks[i]!;
      const control = resolveControl(base, track.control);
      controls[i] = control;
      const transport = await this.#transportFor(k, i);
      const res = await conn.request("SETUP", control, [[
        "Transport",
        transport,
      ]]);
      check(res.status, "SETUP", control);
      const reply = parseTransport(res.headers.get("transport") ?? "")[0];
      if (o.transport === "tcp") {
        channels.set(reply?.interleaved?.[0] ?? k * 2, i);
      }
      this.described.push(describe(track));
    }
    conn.onInterleaved = (channel, payload) => {
      const i = channels.get(channel);
      if (i !== undefined) this.#packet(i, payload);
    };
    const played = await conn.request("PLAY", base, [["Range", "npt=0.000-"]]);
    check(played.status, "PLAY", base);
    const info = parseRtpInfo(played.headers.get("rtp-info") ?? "");
    const bases = tracks.map((_, i) => {
      const c = controls[i];
      if (c === undefined) return undefined;
      const e = info.find((x) =>
        x.url === c || c.endsWith(x.url) ||
        x.url.endsWith(`/${tracks[i]!.control}`)
      );
      return e?.rtptime;
    });
    this.ingest = new RecordIngest(
      tracks,
      {
        frames: (frames) => this.#push(frames),
        unsupported: o.unsupported,
      },
      () => o.clock.now(),
      {
        reorder: o.transport === "udp",
        ...(bases.some((b) => b !== undefined) ? { bases } : {}),
      },
    );
    this.#offsetMs = o.offsetMs();
    this.#lastPacketAt = o.clock.now();
    this.#watch(o.clock.now());
    this.#keepAlive(uri);
  }

  async #transportFor(k: number, index: number): Promise<string> {
    if (this.#o.transport === "tcp") {
      return formatTransport({
        profile: "RTP/AVP",
        lowerTransport: "TCP",
        multicast: false,
        interleaved: [k * 2, k * 2 + 1],
      });
    }
    const pair = await UdpPair.bind("0.0.0.0", 0);
    this.#udp.push(pair);
    pair.register(0, "*", 0, (bytes) => this.#packet(index, bytes));
    return formatTransport({
      profile: "RTP/AVP",
      lowerTransport: "UDP",
      multicast: false,
      clientPort: [pair.rtpPort, pair.rtcpPort],
    });
  }

  #packet(index: number, bytes: Uint8Array): void {
    this.#packets++;
    this.#lastPacketAt = this.#o.clock.now();
    this.ingest?.push(index, bytes);
  }

  #push(frames: MediaFrame[]): void {
    const off = this.#offsetMs;
    for (const f of frames) {
      if (this.#queue.length >= this.#o.maxQueuedFrames && !f.config) {
        this.overflow++;
        continue;
      }
      const shift = Math.round(off * f.timescale / 1000);
      this.#queue.push(
        shift === 0 ? f : { ...f, pts: f.pts + shift, dts: f.dts + shift },
      );
    }
    this.#wake?.();
  }

  #watch(playedAt: number): void {
    const o = this.#o;
    const tick = (): void => {
      if (this.#ended) return;
      const now = o.clock.now();
      this.ingest?.poll();
      if (
        o.transport === "udp" && this.#packets === 0 &&
        now - playedAt >= o.udpTimeoutMs
      ) return this.#fail(new UdpSilentError(o.udpTimeoutMs));
      if (now - this.#lastPacketAt >= o.stallTimeoutMs) {
        return this.#fail(
          new StreamError(
            "Timeout",
            `Cannot pull ${o.url.host}${o.url.pathname}: no RTP for ${o.stallTimeoutMs} ms (stalled camera)`,
          ),
        );
      }
      this.#timers.push(o.clock.setTimer(250, tick));
    };
    this.#timers.push(o.clock.setTimer(250, tick));
  }

  #keepAlive(uri: string): void {
    const conn = this.#conn!;
    const every = Math.max(2000, Math.min(25_000, conn.sessionTimeoutS * 500));
    const tick = (): void => {
      if (this.#ended) return;
      conn.request("GET_PARAMETER", uri).catch(() => {});
      this.#timers.push(this.#o.clock.setTimer(every, tick));
    };
    this.#timers.push(this.#o.clock.setTimer(every, tick));
  }

  #fail(error: unknown): void {
    this.#error ??= error;
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#wake?.();
  }

  /** Queued frames until the run ends; rethrows why it failed. */
  async *frames(signal: AbortSignal): AsyncGenerator<MediaFrame> {
    const onAbort = (): void => this.#end();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (true) {
        if (this.#queue.length > 0) {
          const batch = this.#queue;
          this.#queue = [];
          for (const f of batch) yield f;
          continue;
        }
        if (this.#ended) break;
        await new Promise<void>((r) => this.#wake = r);
        this.#wake = undefined;
      }
      if (this.#error !== undefined && !signal.aborted) throw this.#error;
      if (!signal.aborted) {
        throw new StreamError(
          "Closed",
          `Cannot pull ${this.#o.url.host}${this.#o.url.pathname}: the camera closed the connection`,
        );
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Tear down (best effort) and release sockets and timers. */
  close(): void {
    this.#end();
    for (const t of this.#timers.splice(0)) t();
    const conn = this.#conn;
    if (conn !== undefined && !conn.isClosed) {
      const clean = new URL(this.#o.url.href);
      clean.username = "";
      clean.password = "";
      conn.request("TEARDOWN", clean.href).catch(() => {}).finally(() =>
        conn.close()
      );
      this.#o.clock.setTimer(500, () => conn.close());
    }
    for (const u of this.#udp.splice(0)) u.close();
  }
}

function check(status: number, method: string, uri: string): void {
  if (status === 200) return;
  const code = status === 401 || status === 403
    ? "Unauthorized"
    : status === 404
    ? "NotFound"
    : "Protocol";
  const safe = uri.replace(/\/\/[^@/]*@/, "//");
  throw new StreamError(code, `Cannot ${method} ${safe}: RTSP ${status}`);
}

function describe(t: AnnouncedTrack): string {
  return `${t.type} ${t.format?.encodingName ?? "?"}/${
    t.format?.clockRate ?? "?"
  }`;
}
