import assert from "node:assert/strict";
import {
  defaultMaxConnections,
  FALLBACK_MAX_CONNECTIONS,
  parseOpenFilesLimit,
  readOpenFilesLimit,
  RefusalLog,
} from "../../cli/connection_limits.ts";
import { ManualClock } from "../../src/clock.ts";
import { openFilesLimitFfi } from "../../protocols/net/mod.ts";

const LIMITS =
  `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            1024                 524288               files     
Max locked memory         8388608              8388608              bytes     
`;

Deno.test("parseOpenFilesLimit() reads the soft limit of /proc/self/limits", () => {
  assert.equal(parseOpenFilesLimit(LIMITS), 1024);
  assert.equal(
    parseOpenFilesLimit(LIMITS.replace("1024 ", "unlimited ")),
    Infinity,
  );
  assert.equal(parseOpenFilesLimit("Max cpu time unlimited unlimited"), null);
  assert.equal(parseOpenFilesLimit("Max open files  abc  12 files"), null);
});

Deno.test("readOpenFilesLimit() agrees with `ulimit -n` on this machine", async () => {
  const n = await readOpenFilesLimit();
  const out = await new Deno.Command("sh", {
    args: ["-c", "ulimit -n"],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(n, text === "unlimited" ? Infinity : Number(text));
});

Deno.test("defaultMaxConnections() leaves a reserve and shares the rest among listeners", () => {
  // 10 % reserve, at least 256 descriptors
  assert.equal(defaultMaxConnections(20_000, 1), 18_000);
  assert.equal(defaultMaxConnections(20_000, 2), 9_000);
  assert.equal(defaultMaxConnections(1024, 2), 384);
  assert.equal(defaultMaxConnections(1024, 3), 256);
  assert.equal(defaultMaxConnections(65_536, 2), 29_491);
  // every listener full at once still leaves the reserve free
  for (const limit of [300, 1024, 4096, 20_000, 1_048_576]) {
    for (const listeners of [1, 2, 3]) {
      const cap = defaultMaxConnections(limit, listeners);
      assert.ok(cap >= 1);
      if (limit > 256 + listeners) {
        assert.ok(cap * listeners <= limit - 256, `${limit}/${listeners}`);
      }
    }
  }
  // tiny, unknown and unlimited limits
  assert.equal(defaultMaxConnections(100, 2), 1);
  assert.equal(defaultMaxConnections(null, 2), FALLBACK_MAX_CONNECTIONS);
  assert.equal(defaultMaxConnections(Infinity, 2), 471_859);
});

Deno.test("RefusalLog logs the first refusal at once and the rest once per interval", () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const log = new RefusalLog({
    clock,
    log: (l) => lines.push(l),
    intervalMs: 10_000,
  });
  for (let i = 0; i < 500; i++) {
    log.refused("rtmp", "maxConnections (9000) reached");
  }
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /connection refused \(rtmp: maxConnections \(9000\) reached\)/,
  );
  clock.advance(9_999);
  assert.equal(lines.length, 1);
  clock.advance(1);
  assert.equal(lines.length, 2);
  assert.match(
    lines[1]!,
    /^499 more connections refused in the last 10 s .*500 since start/,
  );
  // another busy interval: one more summary line
  for (let i = 0; i < 3; i++) log.refused("http", "maxPerIp");
  clock.advance(10_000);
  assert.equal(lines.length, 3);
  assert.match(
    lines[2]!,
    /^3 more connections refused .*latest: http: maxPerIp; 503 since start/,
  );
  // a quiet interval ends the series: the next refusal is logged at once
  clock.advance(10_000);
  assert.equal(lines.length, 3);
  log.refused("rtmp", "maxConnections (9000) reached");
  assert.equal(lines.length, 4);
  assert.match(lines[3]!, /^connection refused/);
  assert.equal(log.total, 504);
  log.close();
  clock.advance(60_000);
  assert.equal(lines.length, 4);
});

Deno.test("RefusalLog as an audit sink counts only refused connections", () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const log = new RefusalLog({ clock, log: (l) => lines.push(l) });
  const base = { at: 0, remoteAddr: "10.0.0.1:5000", code: "LimitExceeded" };
  log.record({
    type: "clientDropped",
    protocol: "http",
    reason: "connection refused: maxConnections (10) reached",
    ...base,
  });
  log.record({
    type: "clientDropped",
    protocol: "rtmp",
    reason: "idle for 10000 ms",
    ...base,
    code: "Timeout",
  });
  assert.equal(log.total, 1);
  assert.deepEqual(lines.length, 1);
  assert.match(lines[0]!, /\(http: maxConnections \(10\) reached\)/);
  log.close();
});

Deno.test({
  name:
    "cli origin: default cap from the open-files limit in the banner; refusals logged once, counted in /metrics and /api/streams",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { parseOriginArgs } = await import("../../cli/options.ts");
  const { startOrigin } = await import("../../cli/origin.ts");
  const dir = await Deno.makeTempDir();
  const args = (extra: string[]) =>
    parseOriginArgs([
      "--rtmp",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--hls-dir",
      `${dir}/hls`,
      ...extra,
    ]);
  try {
    // default: derived from this process's limit, two listeners
    const lines: string[] = [];
    const a = await startOrigin(args([]), (l) => lines.push(l));
    const expected = defaultMaxConnections(await readOpenFilesLimit(), 2);
    await a.stop();
    const banner = lines.find((l) => l.includes("limits"));
    assert.ok(banner !== undefined);
    assert.match(
      banner,
      new RegExp(
        `${expected} connections per listener \\(from the open-files limit`,
      ),
    );
    // explicit cap of 1: the 2nd and 3rd HTTP connections are refused
    const logged: string[] = [];
    const b = await startOrigin(
      args(["--max-connections", "1"]),
      (l) => logged.push(l),
    );
    try {
      const held = await Deno.connect({
        hostname: "127.0.0.1",
        port: b.httpPort,
      });
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 2; i++) {
        const c = await Deno.connect({
          hostname: "127.0.0.1",
          port: b.httpPort,
        });
        assert.equal(await c.read(new Uint8Array(8)), null); // closed at accept
        c.close();
      }
      held.close();
      const refusedLines = logged.filter((l) => /connection.* refused/.test(l));
      assert.equal(refusedLines.length, 1, refusedLines.join("\n"));
      assert.match(refusedLines[0]!, /\(http: maxConnections \(1\) reached\)/);
      assert.ok(
        logged.some((l) =>
          /^\s+limits\s+1 connections per listener \(refusals/.test(l)
        ),
      );
      // The held slot frees once the server sees the close: retry a little.
      let api: { refusedConnections?: number } | null = null;
      for (let i = 0; i < 30 && api === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        try {
          const res = await fetch(`http://127.0.0.1:${b.httpPort}/api/streams`);
          api = await res.json();
        } catch { /* refused: the slot is still taken */ }
      }
      assert.ok(api !== null);
      assert.ok(api.refusedConnections! >= 2, `${api.refusedConnections}`);
      const metrics =
        await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`))
          .text();
      const counted =
        /arcly_connections_refused_total\{protocol="http",reason="maxConnections"\} (\d+)/
          .exec(metrics);
      assert.ok(counted !== null && Number(counted[1]) >= 2, metrics);
    } finally {
      await b.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openFilesLimitFfi() agrees with `ulimit -n` (the path the CLI's tasks can read)", async () => {
  const out = await new Deno.Command("sh", {
    args: ["-c", "ulimit -n"],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(
    openFilesLimitFfi(),
    text === "unlimited" ? Infinity : Number(text),
  );
});

Deno.test({
  name:
    "the CLI run with the start task's permissions derives its cap from the open-files limit (Deno opens /proc/self/limits only with --allow-all)",
  sanitizeResources: false,
  async fn() {
    const tasks = JSON.parse(
      await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
    ).tasks as Record<string, string>;
    const start = tasks["start"]!;
    const flags = start.slice("deno run ".length, start.indexOf(" cli.ts"))
      .split(" ");
    const root = new URL("../../", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...flags,
        "cli.ts",
        "--rtmp",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--srt",
        "off",
        "--rtsp",
        "off",
      ],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    let text = "";
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    try {
      while (!/\n {2}limits .*\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
    } finally {
      clearTimeout(timer);
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await reader.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      await child.status;
    }
    const limit = openFilesLimitFfi();
    assert.ok(limit !== null, "FFI granted to the test: the limit is known");
    assert.match(
      text,
      new RegExp(
        `limits +${
          defaultMaxConnections(limit, 2)
        } connections per listener \\(from the open-files limit`,
      ),
    );
  },
});
