/**
 * HTTP-FLV (`GET /{app}/{name}.flv`) and WebSocket-FLV (the same path with
 * `Upgrade: websocket`) egress.
 *
 * Data path, per viewer: one session of the kernel's egress seam
 * (`JoinedEgress` with {@linkcode flvTagFormat}: a resilient subscription,
 * replay first — config frames and the cached GOP, so playback starts at
 * once on a keyframe — then one shared batch per egress tick), and a loop
 * `for await (const bytes of session)` that hands each batch to the
 * host. The egress tick is the stream's own (`StreamHandle.egressTick`:
 * one timer per stream on the engine's clock, period `egressTickMs`,
 * default 100 ms, fired early when a burst of frames arrives), so viewers
 * wake together, take the same run of frames and write the very same
 * `Uint8Array` (no per-viewer copy), at most `egressTickMs` later than the
 * frame arrived. The route returns one live body (`live_body.ts`) that
 * every host runs its own way: the origin's server writes each batch
 * straight to the socket (or as one WebSocket message), other hosts read a
 * pull-based `ReadableStream` (`highWaterMark: 0`, so the kernel ring is
 * the only buffer) or a Deno WebSocket. A viewer that cannot keep up stops
 * taking batches; the kernel resyncs it at a newer keyframe or evicts it,
 * which ends its response, and no other viewer waits for it. The FLV
 * header and the replay go out first, as two chunks: the replay is a view of
 * the stream's memoised replay run (appended to as viewers join later in
 * the GOP), never a per-viewer copy, and the response header
 * `X-Arcly-Start-Dts` gives the decode time (ms) of its first media frame,
 * which players take as their time origin (so a page can measure latency). WebSocket
 * viewers whose `bufferedAmount` passes {@linkcode MAX_WS_BUFFERED_BYTES}
 * stop taking frames the same way.
 *
 * @module
 */
import { Hono } from "hono";
import type { MediaFrame } from "../../media/frame.ts";
import {
  type Clock,
  type EgressSession,
  JoinedEgress,
  type StreamHandle,
  systemClock,
} from "../../src/mod.ts";
import { flvFileHeader, flvTagFormat } from "./flv_tag_cache.ts";
import type { HttpRoutes } from "./http_routes.ts";
import { decodeSafeSegment } from "./path_safety.ts";
import {
  httpStatusOf,
  type PlayAccess,
  type PlayProtocol,
  playTokenOf,
} from "./play_access.ts";
import { remoteAddrOf } from "./_remote_addr.ts";
import {
  hostChunksLiveBody,
  type LiveBody,
  liveResponse,
  type LiveSink,
} from "./live_body.ts";
import type { EgressFormat } from "../../src/egress_cache.ts";

export { MAX_WS_BUFFERED_BYTES } from "./live_body.ts";

/**
 * Opens a stream for a play request: authorizes it and returns the live
 * stream, or rejects with a `StreamError` (`Unauthorized`, `NotFound`, …).
 * `createHttpApp()` supplies one built on `engine.authorizePlay()`.
 *
 * @example Open from a map of live streams
 * ```ts
 * import type { FlvStreamOpener } from "@arcly/stream/http";
 * import { StreamError, type StreamHandle } from "@arcly/stream";
 *
 * const live = new Map<string, StreamHandle>();
 * const open: FlvStreamOpener = (access) => {
 *   const handle = live.get(access.key);
 *   return handle ? Promise.resolve(handle)
 *     : Promise.reject(new StreamError("NotFound", `Cannot play ${access.key}: not live`));
 * };
 * ```
 */
export type FlvStreamOpener = (access: PlayAccess) => Promise<StreamHandle>;

/** Options of {@linkcode flvRoutes}. *
 * @example Count bytes per protocol
 * ```ts
 * import type { FlvRoutesOptions } from "@arcly/stream/http";
 * import { StreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const sent = new Map<string, number>();
 * const options: FlvRoutesOptions = {
 *   open: (access) => Promise.reject(new StreamError("NotFound", `Cannot play ${access.key}: not live`)),
 *   onBytesOut: (protocol, bytes) => sent.set(protocol, (sent.get(protocol) ?? 0) + bytes),
 * };
 * assert.equal(typeof options.open, "function");
 * ```
 */
export interface FlvRoutesOptions {
  /** Authorizes a request and finds its stream. */
  open: FlvStreamOpener;
  /** Called with the bytes written (metrics): summed per viewer over about ten writes, and at the end. */
  onBytesOut?: (protocol: PlayProtocol, bytes: number) => void;
  /**
   * The egress tick in ms (0 to 1,000; 0 writes every batch at once);
   * default 100. Adds at most this much latency; fewer, larger writes per
   * viewer.
   */
  egressTickMs?: number;
  /** Timers of the WebSocket back-pressure poll under `Deno.serve` (default the system clock; `createHttpApp` passes the engine's). */
  clock?: Clock;
}

/**
 * Build the HTTP-FLV and WS-FLV sub-app.
 *
 * @param options how to open streams, a byte counter, the flush period
 * @throws {StreamError} `InvalidInput` for an `egressTickMs` outside 0…1,000
 * @returns the routes
 *
 * @example Serve a live stream over HTTP-FLV
 * ```ts ignore
 * import { flvRoutes } from "@arcly/stream/http";
 * import { Engine, StreamKey } from "@arcly/stream";
 *
 * const engine = Engine.builder().build();
 * const routes = flvRoutes({
 *   open: (access) => engine.authorizePlay(StreamKey.parse(access.key), { protocol: access.protocol }),
 * });
 * Deno.serve({ port: 8080 }, routes.fetch);
 * ```
 */
export function flvRoutes(options: FlvRoutesOptions): HttpRoutes {
  const app = new Hono();
  addFlvRoutes(app, options);
  return app;
}

/**
 * Register the routes of {@linkcode flvRoutes} on an existing Hono app.
 *
 * @param app the app to add routes to
 * @param options as for {@linkcode flvRoutes}
 * @throws {StreamError} `InvalidInput` for an `egressTickMs` outside 0…1,000
 */
export function addFlvRoutes(app: Hono, options: FlvRoutesOptions): void {
  // The kernel's egress seam: one FLV tag cache per stream, the stream's
  // egress tick (validated now, not per request).
  const egress = new JoinedEgress(
    flvTagFormat,
    options.egressTickMs === undefined
      ? {}
      : { egressTickMs: options.egressTickMs },
  );
  // For a host that sends HTTP/1.1 chunks (the origin's own server): each
  // tag framed as one chunk, once, in the stream's cache, so every batch is
  // a valid run of chunks the host writes as it is (no per-batch framing
  // copy; a batch of consecutive tags is a view of the cache's slab).
  const chunkedEgress = new JoinedEgress(
    flvChunkFormat,
    { egressTickMs: egress.egressTickMs },
  );
  const clock = options.clock ?? systemClock;
  app.get("/:app/:file{[^/]+\\.flv}", async (c) => {
    const rawPath = new URL(c.req.url).pathname.split("/");
    const appName = decodeSafeSegment(rawPath[1] ?? "");
    const file = decodeSafeSegment(rawPath[2] ?? "");
    if (appName === null || file === null || file.length <= 4) {
      return c.text("Bad path", 400);
    }
    const key = `${appName}/${file.slice(0, -4)}`;
    const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
    const protocol: PlayProtocol = upgrade ? "ws-flv" : "http-flv";
    let handle: StreamHandle;
    try {
      handle = await options.open({
        key,
        protocol,
        token: playTokenOf(c.req.raw),
        request: c.req.raw,
        remoteAddr: remoteAddrOf(c),
      });
    } catch (error) {
      return c.text("Cannot play", httpStatusOf(error));
    }
    const chunked = !upgrade && hostChunksLiveBody(c.req.raw);
    let session: EgressSession<Uint8Array>;
    try {
      session = (chunked ? chunkedEgress : egress).open(handle, {
        protocol,
        remoteAddr: remoteAddrOf(c),
      });
    } catch (error) {
      return c.text("Cannot play", httpStatusOf(error));
    }
    // The replay (configs + cached GOP) is available now: send it with the
    // file header as the first chunks, so playback can start on one read.
    // Two chunks, no per-viewer copy: the replay bytes are shared (a view of
    // the stream's memoised replay run).
    const startDts = firstMediaDts(session.replayFrames);
    const replay = session.takeReplay();
    const header = headerFor(handle, chunked);
    const first = replay === null ? [header] : [header, replay];
    const headers: Record<string, string> = upgrade ? {} : {
      "Content-Type": "video/x-flv",
      "Cache-Control": "no-cache, no-store",
      "X-Content-Type-Options": "nosniff",
    };
    if (startDts !== undefined && !upgrade) {
      headers[START_DTS_HEADER] = String(startDts);
    }
    return liveResponse(
      c.req.raw,
      new FlvBody(session, first, upgrade, chunked, protocol, options),
      { headers, clock },
    );
  });
}

/**
 * One viewer's live body, whatever the host: the opening chunks (file
 * header, replay), then the kernel's egress session, one write of the
 * shared bytes per batch: pushed (`session.pump`) on a host with `writeNow`
 * (the own server: a batch its socket takes whole costs no promise at all),
 * else `for await`. A write resolves when the host took the bytes, so a
 * viewer that stops reading stops taking frames; when the kernel evicts it
 * the connection is aborted, which ends a stuck write. One object per
 * viewer with its methods on the prototype (no closures but the eviction
 * watch and the pump's writer).
 */
class FlvBody implements LiveBody {
  readonly kind: "stream" | "websocket";
  readonly chunked: boolean;
  #session: EgressSession<Uint8Array>;
  #first: Uint8Array[];
  #protocol: PlayProtocol;
  #options: FlvRoutesOptions;

  constructor(
    session: EgressSession<Uint8Array>,
    first: Uint8Array[],
    websocket: boolean,
    chunked: boolean,
    protocol: PlayProtocol,
    options: FlvRoutesOptions,
  ) {
    this.kind = websocket ? "websocket" : "stream";
    this.chunked = chunked;
    this.#session = session;
    this.#first = first;
    this.#protocol = protocol;
    this.#options = options;
  }

  cancel(reason: string): void {
    this.#session.close(reason);
  }

  async run(sink: LiveSink): Promise<void> {
    const session = this.#session;
    session.subscription.closed.then((end) => {
      if (end.reason === "evicted") sink.abort();
    });
    // A host with writeSome fails the next write when the peer left (its
    // peerGone resolves only on abort); any other tells with peerGone.
    const direct = sink.writeSome !== undefined;
    if (!direct) sink.peerGone.then(() => session.close("viewer left"));
    // Bytes are reported every REPORT_EVERY_WRITES writes (about a second at
    // the default tick) and at the end, not per write: a Prometheus counter's
    // inc() allocates its label key (~130 B) on every call.
    let unreported = 0;
    let writes = 0;
    try {
      const opening = this.#first.splice(0); // pin no replay run once sent
      for (const bytes of opening) {
        await sink.write(bytes);
        unreported += bytes.length;
      }
      opening.length = 0;
      if (sink.writeNow !== undefined) {
        // pushed at each tick: a batch the socket takes whole costs no
        // promise (counted when handed over)
        await session.pump((bytes) => {
          unreported += bytes.length;
          if (++writes >= REPORT_EVERY_WRITES) {
            this.#counted(unreported);
            unreported = 0;
            writes = 0;
          }
          return sink.writeNow!(bytes);
        });
        return;
      }
      for await (const bytes of session) {
        if (direct) {
          const n = await sink.writeSome!(bytes);
          if (n < bytes.length) await sink.write(bytes.subarray(n));
        } else await sink.write(bytes);
        unreported += bytes.length;
        if (++writes >= REPORT_EVERY_WRITES) {
          this.#counted(unreported);
          unreported = 0;
          writes = 0;
        }
      }
    } catch {
      // the viewer's connection failed or was closed: the viewer is gone
    } finally {
      if (unreported > 0) this.#counted(unreported);
      session.close("stream ended");
    }
  }

  #counted(bytes: number): void {
    this.#options.onBytesOut?.(this.#protocol, bytes);
  }
}

/** Writes per byte-count report of one viewer (see pumpLive). */
const REPORT_EVERY_WRITES = 10;

/**
 * Response header carrying the decode timestamp (ms, the stream's own clock)
 * of the first media frame in the body. Players rebase their clock on that
 * frame, so this maps a player's `currentTime` back to stream time
 * (latency measurement).
 */
const START_DTS_HEADER = "X-Arcly-Start-Dts";

function firstMediaDts(frames: readonly MediaFrame[]): number | undefined {
  let min: number | undefined;
  for (const frame of frames) {
    if (frame.config || frame.kind === "data") continue;
    const ms = Math.round((frame.dts * 1000) / frame.timescale);
    if (min === undefined || ms < min) min = ms;
  }
  return min;
}

/** `bytes` as one HTTP/1.1 chunk (RFC 9112 §7.1): hex size, CRLF, bytes, CRLF. */
function asChunk(bytes: Uint8Array): Uint8Array {
  const size = bytes.length.toString(16);
  const out = new Uint8Array(size.length + bytes.length + 4);
  for (let i = 0; i < size.length; i++) out[i] = size.charCodeAt(i);
  out[size.length] = 0x0d;
  out[size.length + 1] = 0x0a;
  out.set(bytes, size.length + 2);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}

/** FLV tags, each framed as one HTTP/1.1 chunk (null for a codec FLV cannot carry). */
const flvChunkFormat: EgressFormat<Uint8Array> = {
  name: "flv",
  serialize(frame: MediaFrame): Uint8Array | null {
    const tag = flvTagFormat.serialize(frame);
    return tag === null ? null : asChunk(tag);
  },
};

/** The four possible FLV file headers, built once and shared (read-only). */
const FILE_HEADERS: readonly Uint8Array[] = [
  flvFileHeader(false, false),
  flvFileHeader(false, true),
  flvFileHeader(true, false),
  flvFileHeader(true, true),
];
/** The same, each as one HTTP/1.1 chunk. */
const CHUNKED_FILE_HEADERS: readonly Uint8Array[] = FILE_HEADERS.map(asChunk);

function headerFor(handle: StreamHandle, chunked: boolean): Uint8Array {
  const metadata = handle.metadataSnapshot();
  const known = metadata.video !== undefined || metadata.audio !== undefined;
  // Before any sequence header arrived, announce both tracks (players wait
  // for what the header promises; most streams carry both).
  const video = !known || metadata.video !== undefined;
  const audio = !known || metadata.audio !== undefined;
  return (chunked ? CHUNKED_FILE_HEADERS : FILE_HEADERS)[
    (video ? 2 : 0) + (audio ? 1 : 0)
  ]!;
}
