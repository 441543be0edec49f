/**
 * Caller-mode helpers over {@linkcode SrtClient}: {@linkcode SrtSource}
 * pulls a listener's TS into a stream (a `MediaSource` for
 * `engine.pumpSource`), {@linkcode srtPush} sends a stream's TS to a
 * listener (the kernel's shared egress batches, cut per connection).
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { MpegTsDemuxer } from "../../media/mpegts/mod.ts";
import type { MediaSource } from "../../src/contracts.ts";
import { JoinedEgress } from "../../src/egress.ts";
import type { StreamHandle } from "../../src/stream_handle.ts";
import { SrtClient, type SrtClientOptions } from "./client.ts";
import { SrtTsFormat } from "./ts_format.ts";

/**
 * Pull from an SRT listener as a `MediaSource`: the listener's TS,
 * demuxed. Use with `engine.pumpSource(key, source)`.
 *
 * @example
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { SrtSource } from "@arcly/stream/srt";
 * const engine = Engine.builder().build();
 * await engine.pumpSource("live/cam", new SrtSource({ hostname: "127.0.0.1", port: 9000 }));
 * ```
 */
export class SrtSource implements MediaSource {
  /** "srt-pull". */
  readonly name: string = "srt-pull";
  #options: SrtClientOptions;

  /**
   * Nothing connects until `frames()` is iterated.
   *
   * @param options the listener to pull from
   */
  constructor(options: SrtClientOptions) {
    this.#options = options;
  }

  /**
   * Connect and yield the demuxed frames until the connection or `signal` ends.
   *
   * @param signal stops the pull
   */
  async *frames(
    signal: AbortSignal,
  ): AsyncGenerator<MediaFrame, void, undefined> {
    const client = await SrtClient.connect(this.#options);
    const stop = () => client.close("pull stopped");
    signal.addEventListener("abort", stop, { once: true });
    const demuxer = new MpegTsDemuxer();
    try {
      for await (const payload of client.payloads()) {
        yield* demuxer.push(payload);
      }
      yield* demuxer.flush();
    } finally {
      signal.removeEventListener("abort", stop);
      client.close("pull ended");
    }
  }
}

/**
 * Push a stream's TS to an SRT listener until the stream, the connection or
 * `signal` ends (the TS bytes are the kernel's shared egress batches).
 *
 * @example
 * ```ts ignore
 * import { srtPush } from "@arcly/stream/srt";
 * await srtPush(engine.getStream("live/cam")!, { hostname: "127.0.0.1", port: 9000 });
 * ```
 *
 * @param stream the live stream
 * @param options the listener to push to
 * @param signal stops the push
 * @returns why it ended
 */
export async function srtPush(
  stream: StreamHandle,
  options: SrtClientOptions,
  signal?: AbortSignal,
): Promise<string> {
  const client = await SrtClient.connect(options);
  const session = pushEgress.open(stream);
  const stop = () => {
    session.close("push stopped");
    client.close("push stopped");
  };
  signal?.addEventListener("abort", stop, { once: true });
  client.closed.then(() => session.close("connection closed"));
  try {
    for await (const bytes of session) client.sendTs(bytes);
    return signal?.aborted
      ? "push stopped"
      : await Promise.race([client.closed, Promise.resolve("stream ended")]);
  } finally {
    signal?.removeEventListener("abort", stop);
    client.close("push ended");
  }
}

const pushEgress = new JoinedEgress(() => new SrtTsFormat(), {
  egressTickMs: 20,
});
