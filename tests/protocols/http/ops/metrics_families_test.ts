// /metrics: every declared family has a sample, viewers per protocol,
// bounded per-stream labels, process CPU/memory, collectors' samples.
import assert from "node:assert/strict";
import {
  createHttpApp,
  PrometheusObserver,
} from "../../../../protocols/http/mod.ts";
import { Engine, JoinedEgress } from "../../../../src/mod.ts";

/** family name → sample lines. */
function families(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const typed = /^# TYPE (\S+) (\S+)/.exec(line);
    if (typed) {
      out.set(typed[1]!, []);
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)![1]!;
    // Exact name, else a histogram/summary family (`_bucket`, `_sum`, …).
    const family = out.has(name)
      ? name
      : [...out.keys()].find((f) =>
        /_(bucket|sum|count|created)$/.test(name) && name.startsWith(`${f}_`)
      );
    assert.ok(family, `sample ${line} without a TYPE`);
    out.get(family)!.push(line);
  }
  return out;
}

Deno.test("metrics: no declared family is empty; viewers, streams, process, collectors", async () => {
  const metrics = new PrometheusObserver({
    maxStreamLabels: 2,
    collectors: [{
      collectMetrics: () => [
        {
          name: "arcly_srt_sessions",
          help: "SRT sessions",
          type: "gauge",
          value: 2,
          labels: { mode: "read" },
        },
        {
          name: "arcly_srt_sessions",
          help: "SRT sessions",
          type: "gauge",
          value: 1,
          labels: { mode: "publish" },
        },
        {
          name: "arcly_srt_dropped_packets_total",
          help: "Dropped",
          type: "counter",
          value: 7,
        },
      ],
    }],
  });
  await using engine = Engine.builder().observer(metrics).build();
  const app = createHttpApp(engine, { metrics, dashboard: false });
  const streams = ["live/a", "live/b", "live/c"].map((k) =>
    engine.startPublish(k)
  );
  const internal = streams[0]!.subscribeResilient(); // a packager: not a viewer
  const egress = new JoinedEgress({ name: "raw", serialize: (f) => f.data });
  const viewers = [
    egress.open(streams[0]!, { protocol: "rtmp" }),
    egress.open(streams[2]!, { protocol: "http-flv" }),
    egress.open(streams[2]!, { protocol: "http-flv" }),
  ];
  engine.clients.touchHls("live/b", "s1");

  const text = await (await app.request("/metrics")).text();
  const all = families(text);
  for (const [name, samples] of all) {
    assert.ok(samples.length > 0, `family ${name} has no sample`);
  }
  assert.match(text, /^arcly_viewers\{protocol="rtmp"\} 1$/m);
  assert.match(text, /^arcly_viewers\{protocol="http-flv"\} 2$/m);
  assert.match(text, /^arcly_viewers\{protocol="hls"\} 1$/m);
  assert.match(text, /^arcly_viewers\{protocol="webrtc"\} 0$/m);
  // Cap 2: live/a and live/b by name, live/c summed as other.
  assert.match(text, /^arcly_stream_viewers\{stream="live\/a"\} 1$/m);
  assert.match(text, /^arcly_stream_viewers\{stream="live\/b"\} 1$/m);
  assert.match(text, /^arcly_stream_viewers\{stream="other"\} 2$/m);
  assert.doesNotMatch(text, /stream="live\/c"/);
  assert.match(text, /^arcly_process_resident_memory_bytes \d+/m);
  assert.match(text, /^arcly_process_heap_used_bytes \d+/m);
  assert.ok(all.has("arcly_process_cpu_percent"));
  assert.ok(all.has("arcly_process_cpu_seconds_total"));
  assert.match(text, /^arcly_srt_sessions\{mode="read"\} 2$/m);
  assert.match(text, /^arcly_srt_sessions\{mode="publish"\} 1$/m);
  assert.match(text, /^arcly_srt_dropped_packets_total 7$/m);
  assert.equal(text.match(/# TYPE arcly_srt_sessions /g)?.length, 1);
  for (const v of viewers) v.close();
  internal.close();
});
