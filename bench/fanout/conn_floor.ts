// deno-lint-ignore-file no-console -- command-line tool: stdout is its interface
/**
 * The runtime's own memory per connection, with none of our code: what an
 * idle accepted TCP connection with one pending read costs a Deno process
 * (RSS growth ÷ connections), for read buffers of several sizes, and what
 * one `Deno.serve` streaming response costs. It is the floor under the
 * "memory per viewer" of issue 19: a viewer of ours is one such connection
 * plus our per-viewer state.
 *
 * ```sh
 * deno run -A bench/fanout/conn_floor.ts                 # 1,000 connections, tcp 256/4096/65536 B + Deno.serve
 * deno run -A bench/fanout/conn_floor.ts --connections=500 --modes=tcp:256
 * deno run -A bench/fanout/conn_floor.ts --modes=tcp:4096,ffi:4096   # Deno's sockets vs the FFI backend
 * ```
 *
 * Each mode runs in a fresh server process (this file with `--serve=MODE`);
 * the connections are opened by this process (the load side), held for
 * `--hold` seconds, and the server reports RSS, JS heap and external
 * memory growth per connection from `Deno.memoryUsage()`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { FfiTcpListener } from "../../protocols/net/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    connections: { type: "string", default: "1000" },
    modes: { type: "string", default: "tcp:256,tcp:4096,tcp:65536,serve" },
    hold: { type: "string", default: "4" },
    serve: { type: "string" },
    port: { type: "string", default: "0" },
  },
});

interface Report {
  conns: number;
  rssKB: number;
  heapKB: number;
  externalKB: number;
}

async function serve(mode: string): Promise<void> {
  let conns = 0;
  const m0 = Deno.memoryUsage();
  let port: number;
  if (mode.startsWith("tcp:") || mode.startsWith("ffi:")) {
    const size = Number(mode.slice(4));
    // ffi: the FFI TCP backend (an fd and a small object per connection)
    const listener: Deno.TcpListener = mode.startsWith("ffi:")
      ? FfiTcpListener.listen({ hostname: "127.0.0.1", port: 0 })
      : Deno.listen({ hostname: "127.0.0.1", port: 0 });
    port = (listener.addr as Deno.NetAddr).port;
    (async () => {
      for await (const conn of listener) {
        conns++;
        (async () => {
          const buf = new Uint8Array(size);
          while (await conn.read(buf) !== null) { /* discard */ }
        })().catch(() => {});
      }
    })();
  } else {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, () => {
      conns++;
      const body = new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(new Uint8Array(13)), // an FLV header, then nothing
      });
      return new Response(body, { headers: { "content-type": "video/x-flv" } });
    });
    port = server.addr.port;
  }
  console.log(JSON.stringify({ port }));
  for await (
    const line of Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  ) {
    if (!line.includes("report")) continue;
    const m = Deno.memoryUsage();
    const r: Report = {
      conns,
      rssKB: (m.rss - m0.rss) / 1024,
      heapKB: (m.heapUsed - m0.heapUsed) / 1024,
      externalKB: (m.external - m0.external) / 1024,
    };
    console.log(JSON.stringify(r));
    Deno.exit(0);
  }
}

async function measure(
  mode: string,
  n: number,
  holdS: number,
): Promise<Report> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, `--serve=${mode}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`server (${mode}) ended early`);
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
  const { port } = JSON.parse(await nextLine()) as { port: number };
  const conns: Deno.Conn[] = [];
  const request = new TextEncoder().encode(
    "GET /live/x.flv HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  const scratch = new Uint8Array(1024);
  for (let i = 0; i < n; i++) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    if (mode === "serve") {
      await c.write(request);
      await c.read(scratch); // the response head (and the 13 bytes)
    }
    conns.push(c);
  }
  await new Promise((r) => setTimeout(r, holdS * 1000));
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("report\n"));
  const report = JSON.parse(await nextLine()) as Report;
  for (const c of conns) c.close();
  await writer.close().catch(() => {});
  await child.status;
  return report;
}

if (values.serve) {
  await serve(values.serve);
} else {
  const n = Number(values.connections);
  const rows: string[] = [
    `runtime memory per idle connection, ${n} connections, Deno ${Deno.version.deno}, ${
      new Date().toISOString().slice(0, 16)
    }Z, load ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}`,
    "",
    "| server side | RSS growth ÷ connections (KB) | JS heap (KB) | external (KB) | rest: runtime, allocator (KB) |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const mode of values.modes!.split(",")) {
    const r = await measure(mode, n, Number(values.hold));
    const per = (x: number) => x / Math.max(1, r.conns);
    const label = mode === "serve"
      ? "`Deno.serve`, one streaming response each"
      : `\`${
        mode.startsWith("ffi:") ? "FfiTcpListener" : "Deno.listen"
      }\` + one pending \`read\` into a ${mode.slice(4)}-byte buffer`;
    rows.push(
      `| ${label} | ${per(r.rssKB).toFixed(1)} | ${
        per(r.heapKB).toFixed(1)
      } | ${per(r.externalKB).toFixed(1)} | ${
        per(r.rssKB - r.heapKB - r.externalKB).toFixed(1)
      } |`,
    );
  }
  console.log(rows.join("\n"));
}
