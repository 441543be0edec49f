// deno-lint-ignore-file no-console -- command-line harness script: stdout is its interface
/**
 * Micro-bench of the SRT reader send path (issue 16): `readers`
 * {@linkcode SrtConnection}s of one origin-side UDP socket, fed the way the
 * server feeds them — each round is 20 ms of a 5 Mbit/s stream on a
 * simulated clock: one shared 9 × 1,316-byte TS batch cut into every
 * reader's payloads (`sendTs`), then two 10 ms `tick`s of every connection —
 * as fast as the CPU allows (each round waits until its sends are handed
 * to the kernel), to a sink socket on loopback that nobody reads (the kernel
 * queues, then drops: the receiving side's cost stays out of the figure).
 * Prints this process's CPU (user and system, all threads) per datagram.
 *
 *   deno run -A --unstable-net bench/srt/send_path.ts [--readers=50] [--rounds=400] [--mode=socket|null]
 *
 * `--mode=null` replaces the socket by a no-op `send`: the JS cost alone.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { SrtConnection } from "../../protocols/srt/connection.ts";
import { sendTs } from "../../protocols/srt/_sessions.ts";
import { openUdp } from "../../protocols/srt/_udp.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    readers: { type: "string", default: "50" },
    rounds: { type: "string", default: "400" },
    mode: { type: "string", default: "socket" },
    batch: { type: "string", default: "9" },
  },
}).values;
const readers = Number(flags.readers);
const rounds = Number(flags.rounds);
const batchPackets = Number(flags.batch);

const sink = Deno.listenDatagram({
  transport: "udp",
  hostname: "127.0.0.1",
  port: 0,
});
const origin = await openUdp("127.0.0.1", 0, () => {});
const port = (sink.addr as Deno.NetAddr).port;
const noop = () => {};
// a send bound to the peer once (`sender`, as the server gives each
// connection), where the socket has it; all go to the one sink
const bound = (origin as { sender?: (p: number, h: string) => Send }).sender;
type Send = (bytes: Uint8Array) => void;
const toSink = (): Send =>
  bound
    ? bound.call(origin, port, "127.0.0.1")
    : (bytes) => origin.send(bytes, port, "127.0.0.1");
const conns = Array.from({ length: readers }, (_, i) =>
  new SrtConnection({
    localSocketId: i + 1,
    peerSocketId: 1000 + i,
    initialSeq: 1,
    receiveLatencyMs: 200,
    sendLatencyMs: 200,
    startMs: 0,
    peerIdleTimeoutMs: 1e12, // nothing answers: no idle close
    send: flags.mode === "null" ? noop : toSink(),
  }, 0));
const batch = new Uint8Array(batchPackets * 1316);
for (let i = 0; i < batch.length; i += 188) batch[i] = 0x47;
const turn = () => new Promise((r) => setTimeout(r, 0));

let now = 0;
async function run(n: number): Promise<void> {
  for (let r = 0; r < n; r++) {
    for (const c of conns) sendTs(c, batch, now);
    now += 10;
    for (const c of conns) c.tick(now);
    now += 10;
    for (const c of conns) c.tick(now);
    await turn();
    // every datagram of the round handed to the kernel (where sends queue)
    while (((origin as { queuedSends?: number }).queuedSends ?? 0) > 0) {
      await turn();
    }
  }
}
await run(Math.ceil(rounds / 4)); // warm up (JIT, slabs)
const sent = () => conns.reduce((a, c) => a + c.stats.sentPackets, 0);
const s0 = sent();
const c0 = process.cpuUsage();
const w0 = performance.now();
await run(rounds);
const cpu = process.cpuUsage(c0);
const wall = performance.now() - w0;
const n = sent() - s0;
await turn();
await origin.close();
sink.close();
console.log(JSON.stringify({
  mode: flags.mode,
  readers,
  datagrams: n,
  userNsPerDatagram: Math.round((cpu.user * 1000) / n),
  systemNsPerDatagram: Math.round((cpu.system * 1000) / n),
  cpuNsPerDatagram: Math.round(((cpu.user + cpu.system) * 1000) / n),
  wallNsPerDatagram: Math.round((wall * 1e6) / n),
  load: +(Deno.loadavg()[0] ?? 0).toFixed(2),
}));
