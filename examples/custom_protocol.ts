// deno-lint-ignore-file no-console -- examples print to the terminal
/**
 * custom_protocol: your own `ProtocolHandler` under `Engine.serve`. This one
 * is "MPEG-TS over raw TCP" (what `ffplay tcp://host:port` reads): each
 * client that connects gets one stream as a continuous transport stream.
 * To be self-contained it also publishes the bundled sample clip as
 * live/demo; `ffprobe tcp://127.0.0.1:9000` then shows H.264 + AAC.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read examples/custom_protocol.ts [port]
 *
 * Data path: one kernel subscription per client (GOP replay first, so the
 * client starts at a keyframe); each batch of frames the ring has for it is
 * muxed to TS and written with one `write` (the per-client muxer keeps its
 * continuity counters). A client that stops reading blocks only its own
 * loop; the kernel resyncs or evicts it.
 *
 * @module
 */
import { Engine, type ProtocolHandler, StreamKey } from "@arcly/stream";
import { MpegTsMuxer } from "@arcly/stream/mpegts";
import { readFlvFile } from "@arcly/stream/flv";

class TcpTsHandler implements ProtocolHandler {
  readonly name = "tcp-ts";
  constructor(readonly port: number, readonly key: StreamKey) {}

  async serve(engine: Engine, signal: AbortSignal): Promise<void> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    signal.addEventListener("abort", () => listener.close(), { once: true });
    console.log(
      `tcp-ts listening on tcp://127.0.0.1:${
        (listener.addr as Deno.NetAddr).port
      }`,
    );
    for await (const conn of listener) void this.#play(engine, conn, signal);
  }

  async #play(
    engine: Engine,
    conn: Deno.Conn,
    signal: AbortSignal,
  ): Promise<void> {
    const stream = engine.getStream(this.key);
    if (!stream) return conn.close();
    using sub = stream.subscribeResilient();
    const muxer = new MpegTsMuxer();
    signal.addEventListener("abort", () => sub.close(), { once: true });
    try {
      while (!sub.isClosed) {
        await sub.ready();
        const frames = sub.takeAll().filter((f) => f.kind !== "data");
        for (const f of frames) if (f.config) muxer.configure(f);
        const media = frames.filter((f) => !f.config);
        if (media.length > 0) await writeAll(conn, muxer.mux(media));
      }
    } catch { /* client went away */ }
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) {
    off += await conn.write(bytes.subarray(off));
  }
}

const port = Number(Deno.args[0] ?? 9000);
const key = StreamKey.parse("live/demo");
const engine = Engine.builder().build();
const clip = readFlvFile(
  await Deno.readFile(new URL("./assets/sample.flv", import.meta.url)),
).frames;
// Publish the clip once in real time (10 s), then stop.
const source = {
  name: "clip",
  async *frames(signal: AbortSignal) {
    const start = performance.now();
    for (const frame of clip) {
      const wait = start + frame.dts - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (signal.aborted) return;
      yield frame;
    }
  },
};
const controller = new AbortController();
const serving = engine.serve([new TcpTsHandler(port, key)], controller.signal);
await engine.pumpSource(key, source).catch(() => {});
controller.abort();
await serving;
