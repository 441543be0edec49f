/**
 * Self-tests of the fan-out harness's independent players (they measure other
 * servers, so they are checked against independent implementations: Deno's
 * HTTP server with chunked bodies, and `ffmpeg -listen 1` as an RTMP server).
 *
 * Run: `deno test -A bench/fanout/harness_test.ts` (needs ffmpeg; ~10 s).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Amf0Value, decodeAmf0, encodeAmf0 } from "./amf0.ts";
import { FlvViewer } from "./flv_viewer.ts";
import { RtmpViewer } from "./rtmp_viewer.ts";
import { ensureSource, sourceStats } from "./source.ts";
import { freePort } from "./processes.ts";
import { summarize } from "./load_client.ts";
import {
  BacklogSampler,
  counterDelta,
  countersOf,
  parseNetstat,
  parseProcNetTcpListen,
  parseSsListen,
  readNetCounters,
} from "./net_stats.ts";
import type { Report, ServerRun, SteadyResult } from "./report.ts";
import { renderReport } from "./report.ts";
import {
  clientLimited,
  commonViewerCounts,
  marginalMicros,
  pairedRatio,
  ratioVerdict,
  targetChecks,
} from "./summary.ts";
import { estimateSeconds } from "./run.ts";

const source = new URL("../.scratch/source.flv", import.meta.url).pathname;

Deno.test("encodeAmf0()/decodeAmf0() round-trip a connect command", () => {
  const values: Amf0Value[] = [
    "connect",
    1,
    { app: "live", fpad: false, caps: 15, n: null },
    [1, "a"],
  ];
  assert.deepEqual(decodeAmf0(encodeAmf0(values)), values);
});

Deno.test("summarize() takes nearest-rank percentiles", () => {
  const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual(s, { count: 100, median: 50, p99: 99, max: 100 });
});

Deno.test("FlvViewer counts every tag of a chunked HTTP-FLV body split at odd sizes", async () => {
  await ensureSource(source);
  const stats = sourceStats(source);
  const file = Deno.readFileSync(source);
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen() {},
  }, () => {
    // Odd piece sizes cut tag headers and chunk framing in every place.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let off = 0, i = 0; off < file.length; i++) {
          const n = 1 + ((i * 7919) % 9000);
          controller.enqueue(file.slice(off, off + n));
          off += n;
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "video/x-flv" } });
  });
  const viewer = new FlvViewer(
    "127.0.0.1",
    server.addr.port,
    "/live/bench.flv",
  );
  viewer.start();
  await viewer.ended;
  ac.abort();
  await server.finished;
  assert.equal(viewer.tags, stats.videoTags + stats.audioTags + 1); // + onMetaData
  assert.ok(
    viewer.firstKeyframeAt >= viewer.firstByteAt && viewer.firstByteAt > 0,
  );
  assert.ok(
    viewer.mediaTs >= (stats.durationS - 0.1) * 1000,
    `mediaTs ${viewer.mediaTs}`,
  );
  assert.equal(viewer.error, "end of body");
});

Deno.test({
  name:
    "RtmpViewer plays from ffmpeg's RTMP server and sees keyframes and timestamps",
  sanitizeResources: false, // the ffmpeg child is awaited below; its pipes are closed by status
  async fn() {
    await ensureSource(source);
    const port = freePort();
    const ffmpeg = new Deno.Command("ffmpeg", {
      args: [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-t",
        "3",
        "-i",
        source,
        "-c",
        "copy",
        "-f",
        "flv",
        "-listen",
        "1",
        `rtmp://127.0.0.1:${port}/live/bench`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let viewer: RtmpViewer | null = null;
      for (let i = 0; i < 50 && viewer === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const v = new RtmpViewer("127.0.0.1", port, "live", "bench");
        v.start();
        await Promise.race([v.firstByte.catch(() => {}), v.ended]);
        if (v.firstByteAt > 0) viewer = v;
        else await v.ended;
      }
      assert.ok(viewer !== null, "ffmpeg never accepted");
      await viewer.ended;
      assert.ok(viewer.firstKeyframeAt > 0, `no keyframe (${viewer.error})`);
      assert.ok(viewer.messages > 100, `messages ${viewer.messages}`);
      assert.ok(viewer.mediaTs >= 2000, `mediaTs ${viewer.mediaTs}`);
    } finally {
      try {
        ffmpeg.kill("SIGKILL");
      } catch { /* exited */ }
      await ffmpeg.status;
    }
  },
});

// A trimmed /proc/net/netstat (real layout: header line, value line, per prefix).
const NETSTAT =
  `TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans
TcpExt: 3 22950 22951 4192
IpExt: InNoRoutes InOctets
IpExt: 0 202063950229
`;

Deno.test("parseNetstat() pairs header and value lines per prefix", () => {
  const m = parseNetstat(NETSTAT);
  assert.equal(m.get("TcpExt:ListenOverflows"), 22950);
  assert.equal(m.get("IpExt:InOctets"), 202063950229);
  assert.deepEqual(countersOf(m), {
    listenOverflows: 22950,
    listenDrops: 22951,
    synRetrans: 4192,
  });
  assert.deepEqual(countersOf(new Map()).listenDrops, NaN);
  assert.throws(() => parseNetstat("TcpExt: A B\nIpExt: 1 2\n"), /pair/);
});

Deno.test("parseNetstat() reads this machine's /proc/net/netstat", () => {
  const c = readNetCounters(); // through `cat`, as the load client reads it
  assert.ok(c !== null);
  assert.ok(Number.isInteger(c.listenOverflows) && c.listenOverflows >= 0);
  assert.ok(Number.isInteger(c.synRetrans) && c.synRetrans >= 0);
});

Deno.test("counterDelta() subtracts, and is NaN without a reading", () => {
  const a = { listenOverflows: 1, listenDrops: 2, synRetrans: 3 };
  const b = { listenOverflows: 1, listenDrops: 7, synRetrans: 10 };
  assert.deepEqual(counterDelta(a, b), {
    listenOverflows: 0,
    listenDrops: 5,
    synRetrans: 7,
  });
  assert.ok(Number.isNaN(counterDelta(null, b).listenDrops));
});

Deno.test("parseSsListen() finds the listen queue of one port", () => {
  const text = [
    "LISTEN 0      128    0.0.0.0:2024 0.0.0.0:*",
    "LISTEN 511    511    127.0.0.1:45163 0.0.0.0:*",
    "LISTEN 3      4096   [::1]:45163 [::]:*",
    "",
  ].join("\n");
  assert.deepEqual(parseSsListen(text, 45163), { queued: 511, limit: 511 });
  assert.deepEqual(parseSsListen(text, 2024), { queued: 0, limit: 128 });
  assert.equal(parseSsListen(text, 1935), null);
});

Deno.test("parseProcNetTcpListen() reads rx_queue of the LISTEN socket on a port", () => {
  const text = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:A9B5 00000000:0000 0A 00000000:000001FF 00:00000000 00000000     0        0 884939 1",
    "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 887590 1",
    "   2: 0100007F:A9B5 0100007F:C000 01 00000000:00000010 00:00000000 00000000     0        0 887591 1",
  ].join("\n");
  assert.equal(parseProcNetTcpListen(text, 0xa9b5), 511);
  assert.equal(parseProcNetTcpListen(text, 8080), 0);
  assert.equal(parseProcNetTcpListen(text, 1935), null);
});

Deno.test("BacklogSampler sees connections waiting in a listener's accept queue", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const sampler = new BacklogSampler(port, 20);
  const conns: Deno.TcpConn[] = [];
  try {
    // Nobody accepts: each completed handshake waits in the queue.
    for (let i = 0; i < 5; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    const summary = await sampler.stop();
    for (const c of conns) c.close();
    listener.close();
    assert.equal(summary.peak, 5);
    assert.ok(summary.limit >= 5, `limit ${summary.limit}`);
    assert.ok(summary.samples >= 3, `samples ${summary.samples}`);
  }
});

function steadyOf(
  protocol: "flv" | "rtmp",
  viewers: number,
  cpu: number,
  extra: { join?: number; rssKb?: number; drops?: number } = {},
): SteadyResult {
  const ms = (v: number): Summary => ({ count: 1, median: v, p99: v, max: v });
  return {
    protocol,
    viewers,
    ttfb: ms(5),
    firstKeyframe: ms(50),
    failed: 0,
    alive: viewers,
    serverCpu: cpu,
    clientCpu: 0.1,
    rssBefore: 100 << 20,
    rss: (100 << 20) + (extra.rssKb ?? 32) * 1024 * viewers,
    aggregateBps: 0,
    minBps: 0,
    minKeepUp: 1,
    laggards: 0,
    join: ms(extra.join ?? 100),
    warmupS: 3,
    errors: [],
    accept: {
      listenOverflows: extra.drops ?? 0,
      listenDrops: extra.drops ?? 0,
      synRetrans: 0,
      backlog: { peak: 10, limit: 511, samples: 20 },
    },
  };
}

/** mps = 100 so 1 µs/msg/viewer is 1e-4 core per viewer. */
function reportOf(runs: ServerRun[]): Report {
  return {
    command: "test",
    startedAt: "2026-01-01T00:00:00Z",
    mode: "full",
    host: "test",
    source: {
      path: "x",
      bytes: 0,
      durationS: 1,
      videoTags: 0,
      audioTags: 0,
      messagesPerSecond: 100,
      bitsPerSecond: 0,
    },
    stallS: 60,
    windowS: 10,
    runs,
  };
}

function runOf(
  kind: string,
  run: number,
  steady: SteadyResult[],
  baselineCpu = 0.02,
): ServerRun {
  return {
    kind,
    run,
    error: null,
    baseline: { serverCpu: baselineCpu, clientCpu: 0, rss: 0 },
    steady,
    stall: [],
  };
}

type Summary = { count: number; median: number; p99: number; max: number };

Deno.test("marginalMicros() and pairedRatio() compute slope and per-run ratio", () => {
  // 0.05 core more for 500 more viewers at 100 msg/s = 1 µs/msg/viewer.
  assert.equal(
    marginalMicros({ serverCpu: 0.05, viewers: 500 }, {
      serverCpu: 0.1,
      viewers: 1000,
    }, 100),
    1,
  );
  const nms = new Map([[1, 6], [2, 9], [3, -1]]);
  const arcly = new Map([[1, 2], [2, 2], [3, 1], [4, 1]]);
  // runs 1 and 2 pair (3×, 4.5×); run 3 has a negative figure, run 4 no nms.
  assert.equal(pairedRatio(nms, arcly), 3.75);
  assert.ok(Number.isNaN(pairedRatio(new Map(), arcly)));
  assert.equal(ratioVerdict(3, 3), "met");
  assert.equal(ratioVerdict(2.99, 3), "not met");
  assert.equal(ratioVerdict(NaN, 3), "unresolved");
});

Deno.test("targetChecks() judges every target at each common N and the top slope", () => {
  const runs: ServerRun[] = [];
  for (const run of [1, 2, 3]) {
    // nms: 4 µs/msg/viewer marginal; arcly 1 µs (run 3: 2 µs).
    runs.push(runOf("nms", run, [
      steadyOf("flv", 10, 0.03, { join: 400, rssKb: 300 }),
      steadyOf("flv", 500, 0.22, { join: 400, rssKb: 300, drops: 0 }),
      steadyOf("flv", 1000, 0.42, { join: 800, rssKb: 300, drops: 120 }),
    ]));
    const hi = run === 3 ? 0.17 : 0.12;
    runs.push(runOf("arcly", run, [
      steadyOf("flv", 10, 0.021, { join: 90 }),
      steadyOf("flv", 500, 0.07, { join: 90, rssKb: 40 }),
      steadyOf("flv", 1000, hi, { join: 100, rssKb: 40, drops: run - 1 }),
    ]));
  }
  const report = reportOf(runs);
  assert.deepEqual(commonViewerCounts(report, "flv"), [10, 500, 1000]);
  assert.deepEqual(commonViewerCounts(report, "rtmp"), []);
  assert.deepEqual(targetChecks(report, "rtmp"), []);
  const checks = targetChecks(report, "flv");
  const at = (target: string, n: string) =>
    checks.find((c) => c.target.startsWith(target) && c.at === n)!;
  const slope = at("CPU", "N = 500 → 1000");
  assert.ok(slope.target.includes("slope"));
  assert.equal(slope.nms, 4);
  assert.ok(Math.abs(slope.arcly - 1) < 1e-9);
  assert.ok(Math.abs(slope.ratio - 4) < 1e-9); // runs: 4, 4, 2 → median 4
  assert.equal(slope.verdict, "met");
  // Baseline-subtracted at 1000: nms (0.42-0.02)/1000/100 = 4 µs; arcly 1 µs.
  const cpu = checks.find((c) =>
    c.target.includes("baseline") && c.at === "N = 1000"
  )!;
  assert.ok(Math.abs(cpu.nms - 4) < 1e-9);
  assert.equal(cpu.verdict, "met");
  assert.equal(at("RSS", "N = 1000").verdict, "met");
  assert.equal(at("RSS", "N = 10").arcly, 32);
  assert.equal(at("RSS", "N = 10").verdict, "met");
  assert.equal(at("RSS", "N = 10").nms, 300);
  assert.equal(at("join", "N = 1000").ratio, 8);
  assert.equal(at("join", "N = 500").verdict, "met");
  // Drops: the worst run counts (run 3 had 2), so not met at 1000; met at 500.
  const drops = at("no accept", "N = 1000");
  assert.equal(drops.arcly, 2);
  assert.equal(drops.nms, 120);
  assert.equal(drops.verdict, "not met");
  assert.match(
    drops.note,
    /queue peak 10\/511, SYN retransmits 0, failed viewers 0/,
  );
  assert.equal(at("no accept", "N = 500").verdict, "met");
  const md = renderReport(report);
  assert.match(md, /## Summary against the issue's targets/);
  assert.match(
    md,
    /\| HTTP-FLV \| CPU per viewer ≤ 1\/3 of nms \(marginal slope\) \| N = 500 → 1000 \|/,
  );
  assert.match(md, /accept drops/);
  assert.match(
    md,
    /Accept-queue drops in the largest flash crowd \(worst run\): HTTP-FLV N = 1000: arcly 2, nms 120 \(arcly: not met\)\./,
  );
  // nms at 0.42 core is below the saturation flag; a busy one is flagged.
  assert.equal(slope.note, "");
  const busy = reportOf(runs.map((r) =>
    r.kind === "nms"
      ? {
        ...r,
        steady: r.steady.map((s) => ({ ...s, serverCpu: s.serverCpu + 0.5 })),
      }
      : r
  ));
  assert.match(
    targetChecks(busy, "flv")[0]!.note,
    /^nms at 0\.72 \/ 0\.92 cores \(≥ 0\.75/,
  );
  assert.deepEqual(clientLimited(report), []);
});

Deno.test("estimateSeconds() keeps the full mode within about an hour", () => {
  const full = {
    runs: 3,
    servers: ["nms", "arcly"] as ("nms" | "arcly")[],
    viewers: [10, 100, 500, 1000],
    protocols: ["flv", "rtmp"] as ("flv" | "rtmp")[],
    stall: true,
    warmupS: 3,
    windowS: 10,
    baselineS: 10,
    probes: 3,
    stallS: 60,
  };
  const s = estimateSeconds(full);
  assert.ok(s > 30 * 60 && s <= 62 * 60, `full mode estimate ${s} s`);
  assert.ok(estimateSeconds({ ...full, runs: 1 }) * 3 === s);
});
