/**
 * {@linkcode RtspPullProvider}: on-demand camera pulls through the kernel's
 * pipeline seam (`OnDemandProvider`). Nothing connects until a viewer (any
 * protocol: RTSP, HTTP-FLV, HLS, RTMP) asks for a configured key; the engine
 * then pumps a fresh {@linkcode RtspPullSource} into the key, the viewer
 * waits for its first frame (`onDemandTimeoutMs`), and the engine ends the
 * stream, which aborts the pull and tears the camera session down,
 * `onDemandGraceMs` after the last viewer left.
 *
 * @module
 */
import type { MediaSource, OnDemandProvider } from "../../src/contracts.ts";
import type { StreamKey } from "../../src/stream_key.ts";
import { type RtspPullOptions, RtspPullSource } from "./pull_source.ts";

/**
 * One camera behind a stream key.
 *
 * @example
 * ```ts
 * import type { RtspPullRoute } from "@arcly/stream/rtsp";
 * const route: RtspPullRoute = { key: "live/door", url: "rtsp://admin:pw@10.0.0.9/stream1" };
 * ```
 */
export interface RtspPullRoute {
  /** The stream key ("app/name") viewers ask for. */
  key: string;
  /** The camera URL (user info authenticates). */
  url: string;
  /** Pull options for this camera (transport, timeouts, backoff). */
  options?: Omit<RtspPullOptions, "url">;
}

/**
 * Starts an RTSP pull when a viewer asks for a configured key (see the
 * module doc).
 *
 * @example Pull a camera on demand
 * ```ts
 * import { Engine } from "@arcly/stream";
 * import { RtspPullProvider } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const provider = new RtspPullProvider([{ key: "live/door", url: "rtsp://10.0.0.9/stream1" }]);
 * await using engine = Engine.builder().onDemand(provider).build();
 * assert.equal(engine.getStream("live/door"), undefined); // nothing until a viewer asks
 * assert.deepEqual(provider.keys, ["live/door"]);
 * ```
 */
export class RtspPullProvider implements OnDemandProvider {
  /** "rtsp-pull". */
  readonly name = "rtsp-pull";
  #routes = new Map<string, RtspPullRoute>();
  #defaults: Omit<RtspPullOptions, "url">;

  /**
   * Configure the cameras (nothing connects until a viewer asks).
   *
   * @param routes the cameras, one per key
   * @param defaults options every pull starts from
   */
  constructor(
    routes: readonly RtspPullRoute[],
    defaults: Omit<RtspPullOptions, "url"> = {},
  ) {
    for (const r of routes) {
      new RtspPullSource({ url: r.url }); // validate the URL now
      this.#routes.set(r.key, r);
    }
    this.#defaults = defaults;
  }

  /** The configured keys. */
  get keys(): string[] {
    return [...this.#routes.keys()];
  }

  /**
   * A new pull for `key`, or null when no camera is configured for it.
   *
   * @param key the key a viewer asked for
   * @returns the source
   */
  sourceFor(key: StreamKey): MediaSource | null {
    const route = this.#routes.get(key.toString());
    if (route === undefined) return null;
    return new RtspPullSource({
      ...this.#defaults,
      ...route.options,
      url: route.url,
    });
  }
}
