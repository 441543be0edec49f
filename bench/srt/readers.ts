// deno-lint-ignore-file no-console -- command-line harness script: stdout is its interface
/**
 * N SRT readers of one stream (a separate process, so the origin's CPU is
 * measured alone): connect (joining over time), warm up, print `READY`,
 * wait for `GO` on stdin, count each reader's payload bytes over the
 * window, print one JSON {@linkcode ReaderReport} line.
 *
 *   deno run -A --unstable-net bench/srt/readers.ts PORT N SECONDS WARMUP [STREAM_ID]
 *
 * @module
 */
import process from "node:process";
import { SrtClient } from "../../protocols/srt/mod.ts";

/** What one reader process reports. */
export interface ReaderReport {
  /** Payload bytes each reader received in the window. */
  bytes: number[];
  /** Readers that could not connect. */
  failed: number;
  /** First connect error, if any. */
  firstFailure?: string;
  /** Packets detected lost (before repair). */
  lost: number;
  /** Packets dropped as too late to play. */
  dropped: number;
  /** Payloads dropped because this process did not read fast enough. */
  queueDrops: number;
  /** This process's CPU over the window (1.0 = one core). */
  cpu: number;
}

if (import.meta.main) {
  const [port, n, seconds, warmup, sid] = [
    Number(Deno.args[0]),
    Number(Deno.args[1]),
    Number(Deno.args[2]),
    Number(Deno.args[3] ?? 3),
    Deno.args[4] ?? "read:live/bench",
  ];
  const settled = await Promise.allSettled(
    Array.from({ length: n }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 50)); // viewers join over time
      return await SrtClient.connect({
        hostname: "127.0.0.1",
        port,
        streamId: sid,
        connectTimeoutMs: 20_000,
        latencyMs: 200,
      });
    }),
  );
  const clients = settled.flatMap((r) =>
    r.status === "fulfilled" ? [r.value] : []
  );
  const failed = settled.flatMap((r) =>
    r.status === "rejected" ? [String(r.reason?.message ?? r.reason)] : []
  );
  const bytes = clients.map(() => 0);
  const counting = clients.map(async (c, i) => {
    for await (const p of c.payloads()) bytes[i]! += p.length;
  });
  await new Promise((r) => setTimeout(r, warmup * 1000));
  console.log("READY");
  // wait for GO (or stdin closing)
  const stdin = Deno.stdin.readable.getReader();
  await stdin.read();
  stdin.releaseLock();
  const start = [...bytes];
  const before = clients.map((c) => c.stats);
  const drops0 = clients.map((c) => c.droppedPayloads);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1000 / (performance.now() - t0);
  const got = bytes.map((b, i) => b - start[i]!);
  const after = clients.map((c) => c.stats);
  const report: ReaderReport = {
    bytes: got,
    failed: failed.length,
    ...(failed[0] !== undefined ? { firstFailure: failed[0] } : {}),
    lost: after.reduce(
      (a, s, i) => a + s.receivedLost - before[i]!.receivedLost,
      0,
    ),
    dropped: after.reduce(
      (a, s, i) => a + s.receivedDropped - before[i]!.receivedDropped,
      0,
    ),
    queueDrops: clients.reduce(
      (a, c, i) => a + c.droppedPayloads - drops0[i]!,
      0,
    ),
    cpu: +cpu.toFixed(3),
  };
  for (const c of clients) c.close();
  await Promise.allSettled(counting);
  console.log(JSON.stringify(report));
}
