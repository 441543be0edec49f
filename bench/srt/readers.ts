// deno-lint-ignore-file no-console -- command-line harness script: stdout is its interface
// N SRT readers of one stream (a separate process, so the origin's CPU is
// measured alone): connect, count payload bytes, print JSON when done.
//   deno run -A --unstable-net bench/srt/readers.ts PORT N SECONDS [STREAM_ID]
import { SrtClient } from "../../protocols/srt/mod.ts";

const [port, n, seconds, sid] = [
  Number(Deno.args[0]),
  Number(Deno.args[1]),
  Number(Deno.args[2]),
  Deno.args[3] ?? "read:live/bench",
];
const settled = await Promise.allSettled(
  Array.from(
    { length: n },
    async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 50)); // viewers join over time
      return await SrtClient.connect({
        hostname: "127.0.0.1",
        port,
        streamId: sid,
        connectTimeoutMs: 20_000,
        latencyMs: 200,
      });
    },
  ),
);
const clients = settled.flatMap((r) =>
  r.status === "fulfilled" ? [r.value] : []
);
const failed = settled.flatMap((r) =>
  r.status === "rejected" ? [String(r.reason?.message ?? r.reason)] : []
);
let bytes = 0;
const counting = clients.map(async (c) => {
  for await (const p of c.payloads()) bytes += p.length;
});
await new Promise((r) => setTimeout(r, seconds * 1000));
const stats = clients.map((c) => c.stats);
for (const c of clients) c.close();
await Promise.allSettled(counting);
console.log(JSON.stringify({
  readers: clients.length,
  failed: failed.length,
  firstFailure: failed[0],
  mbitPerReader: (bytes * 8) / seconds / n / 1e6,
  lost: stats.reduce((a, s) => a + s.receivedLost, 0),
  dropped: stats.reduce((a, s) => a + s.receivedDropped, 0),
}));
