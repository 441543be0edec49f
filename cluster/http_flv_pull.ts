/**
 * {@linkcode HttpFlvPullSource}: a {@linkcode MediaSource} that pulls a live
 * stream from another origin's HTTP-FLV output — the cluster's relay
 * transport. The origin already serializes each frame once per stream and
 * writes the same bytes to every viewer, so an edge is just one more viewer
 * there; on the edge the bytes are parsed by `FlvReader` into frames whose
 * `data` views the received chunks (no copy) and re-published locally.
 *
 * Memory: at most one incomplete FLV tag is buffered (`FlvReader`), and the
 * fetch body is read as fast as the local engine accepts frames (publishing
 * is O(1) and never blocks). A pull whose origin sends nothing for
 * `stallTimeoutMs` is aborted with `StreamError("Timeout")`, so a dead origin
 * behind a live TCP connection is noticed.
 *
 * @module
 */
import type { Clock, MediaFrame, MediaSource } from "../mod.ts";
import { StreamError, systemClock } from "../mod.ts";
import { FlvReader } from "../media/flv/mod.ts";

/**
 * Options for {@linkcode HttpFlvPullSource}.
 *
 * @example A protected origin
 * ```ts
 * import type { HttpFlvPullOptions } from "@arcly/stream/cluster";
 * const options: HttpFlvPullOptions = { url: "http://origin:8080/live/cam.flv?token=T", stallTimeoutMs: 3_000 };
 * ```
 */
export interface HttpFlvPullOptions {
  /** Full HTTP-FLV URL, e.g. `http://origin:8080/live/cam.flv`. */
  url: string;
  /** Abort when no byte arrives for this long, ms (default 5 000). */
  stallTimeoutMs?: number;
  /** Clock for the stall timer (default the system clock). */
  clock?: Clock;
  /** Extra request headers (e.g. `Authorization` for a protected origin). */
  headers?: HeadersInit;
}

/**
 * Pull an HTTP-FLV stream as frames.
 *
 * @example Pull from an origin and publish locally
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { HttpFlvPullSource } from "@arcly/stream/cluster";
 *
 * await using engine = Engine.builder().build();
 * await engine.pumpSource("live/cam", new HttpFlvPullSource({ url: "http://origin:8080/live/cam.flv" }));
 * ```
 */
export class HttpFlvPullSource implements MediaSource {
  /** `http-flv pull <url>`. */
  readonly name: string;
  readonly #url: string;
  readonly #stallMs: number;
  readonly #clock: Clock;
  readonly #headers: HeadersInit | undefined;

  /** Create a pull of `options.url` (nothing happens until `frames()`). */
  constructor(options: HttpFlvPullOptions) {
    if (!/^https?:\/\//.test(options.url)) {
      throw new StreamError(
        "InvalidInput",
        `Cannot pull ${options.url}: expected an http(s) URL`,
      );
    }
    this.#url = options.url;
    this.name = `http-flv pull ${options.url}`;
    this.#stallMs = options.stallTimeoutMs ?? 5_000;
    this.#clock = options.clock ?? systemClock;
    this.#headers = options.headers;
  }

  /** The frames, until the origin ends the stream, stalls, or `signal` aborts. */
  async *frames(signal: AbortSignal): AsyncGenerator<MediaFrame> {
    const stall = new AbortController();
    const both = AbortSignal.any([signal, stall.signal]);
    let cancel = (): void => {};
    const arm = (): void => {
      cancel();
      cancel = this.#clock.setTimer(this.#stallMs, () =>
        stall.abort(
          new StreamError(
            "Timeout",
            `Cannot pull ${this.#url}: no data for ${this.#stallMs} ms`,
          ),
        ));
    };
    arm();
    try {
      let response: Response;
      try {
        response = await fetch(this.#url, {
          signal: both,
          ...(this.#headers ? { headers: this.#headers } : {}),
        });
      } catch (error) {
        if (signal.aborted) return;
        if (stall.signal.aborted) throw stall.signal.reason;
        throw new StreamError(
          "Unavailable",
          `Cannot pull ${this.#url}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        throw new StreamError(
          response.status === 404 ? "NotFound" : "Unavailable",
          `Cannot pull ${this.#url}: HTTP ${response.status}`,
        );
      }
      const reader = new FlvReader();
      try {
        for await (const chunk of response.body) {
          arm();
          yield* reader.push(chunk);
        }
      } catch (error) {
        if (signal.aborted) return;
        if (stall.signal.aborted) throw stall.signal.reason;
        throw new StreamError(
          "Unavailable",
          `Cannot pull ${this.#url}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    } finally {
      cancel();
    }
  }
}
