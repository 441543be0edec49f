// deno-lint-ignore-file no-console -- examples print to the terminal
/**
 * A toy protocol on the public API: ingest FLV over TCP on port P (live/demo),
 * egress MPEG-TS over TCP on P+1 through the kernel's egress seam (each frame
 * muxed once per stream, one shared batch per egress tick). It feeds the
 * bundled clip to its own ingest port. `ffplay tcp://127.0.0.1:9001` plays it.
 * @module
 */
import * as arcly from "@arcly/stream";
import { MpegTsMuxer } from "@arcly/stream/mpegts";
import { readFlvStream } from "@arcly/stream/flv";

/** One muxer per stream (continuity counters); each frame muxed once for every viewer. */
function tsFormat(): arcly.EgressFormat<Uint8Array> {
  const muxer = new MpegTsMuxer();
  return {
    name: "mpegts",
    serialize(frame) {
      if (frame.kind === "data") return null; // not carried: skipped and counted
      if (!frame.config) return muxer.mux([frame]);
      muxer.configure(frame);
      return new Uint8Array(0);
    },
  };
}

class ToyTcpHandler implements arcly.ProtocolHandler {
  readonly name = "toy-tcp";
  readonly #egress = new arcly.JoinedEgress(() => tsFormat());
  constructor(readonly port: number, readonly key: arcly.StreamKey) {}

  async serve(host: arcly.StreamHost, signal: AbortSignal): Promise<void> {
    console.log(`toy-tcp listening on ${this.port} and ${this.port + 1}`);
    await Promise.all([
      acceptAll(this.port, signal, (conn) => this.#publish(host, conn)),
      acceptAll(this.port + 1, signal, (conn) => this.#play(host, conn)),
    ]);
  }

  async #publish(host: arcly.StreamHost, conn: Deno.Conn): Promise<void> {
    const who = { protocol: this.name };
    const h = await host.startPublishAuthorized(this.key, who);
    try {
      for await (const f of readFlvStream(conn.readable)) h.publishFrame(f);
    } finally {
      h.end("publisher left");
    }
  }

  async #play(host: arcly.StreamHost, conn: Deno.Conn): Promise<void> {
    const stream = await host.authorizePlay(this.key, { protocol: this.name });
    for await (const bytes of this.#egress.open(stream)) {
      await writeAll(conn, bytes);
    }
  }
}

type Serve = (conn: Deno.Conn) => Promise<void>;
/** Serve every connection on `port` until `signal` aborts, then wait for them. */
async function acceptAll(port: number, signal: AbortSignal, serve: Serve) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  signal.addEventListener("abort", () => listener.close());
  const open = new Set<Promise<void>>();
  try {
    for await (const conn of listener) {
      const task = serve(conn).catch(() => {}).finally(() => {
        open.delete(task);
        conn.close();
      }).catch(() => {}); // already closed by its readable
      open.add(task);
    }
  } catch { /* listener closed */ }
  await Promise.allSettled([...open]);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}

const port = Number(Deno.args[0] ?? 9000);
await using engine = arcly.Engine.builder().build();
const controller = new AbortController();
const toy = new ToyTcpHandler(port, arcly.StreamKey.parse("live/demo"));
const serving = engine.serve([toy], controller.signal);
// Push the 10 s clip into our own ingest port, paced at about real time.
const clip = await Deno.readFile(new URL("assets/sample.flv", import.meta.url));
const publisher = await Deno.connect({ hostname: "127.0.0.1", port });
const step = Math.ceil(clip.length / 100);
for (let at = 0; at < clip.length; at += step) {
  await writeAll(publisher, clip.subarray(at, at + step));
  await new Promise((resolve) => setTimeout(resolve, 100));
}
publisher.close();
controller.abort();
await serving;
