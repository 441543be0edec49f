/**
 * The families the Prometheus observer adds beside the engine events:
 * viewers per protocol, per-stream viewers and bitrate with a bounded
 * `stream` label (the first `maxStreamLabels` keys in order, the rest summed
 * under `stream="other"`), the process's CPU and memory (own gauges:
 * prom-client's default metrics are process-global), and the samples of
 * {@linkcode MetricsCollector}s rendered in the text format at scrape time.
 *
 * Data path: everything is read at scrape time from the engines' stream
 * list and client registry; nothing per frame, no timer; at most
 * `maxStreamLabels + 1` series per per-stream family.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";
import process from "node:process";
import type {
  ClientRegistry,
  MetricSample,
  MetricsCollector,
  StreamInfo,
} from "../../../src/mod.ts";
import { CpuSampler } from "./api_v1_system.ts";

/** The engine view the families read (a subset of `MetricsEngineView`). */
interface EngineView {
  streams(): readonly StreamInfo[];
  readonly clients?: ClientRegistry;
}

/** Default cap of distinct `stream` label values. */
export const DEFAULT_MAX_STREAM_LABELS = 100;

/** Viewer protocols that always have a series (0 when none). */
const VIEWER_PROTOCOLS = [
  "rtmp",
  "http-flv",
  "ws-flv",
  "hls",
  "webrtc",
  "srt",
  "rtsp",
];

/** Viewers of one stream: the registry's, else the raw subscriber count. */
function viewersOf(info: StreamInfo, clients?: ClientRegistry): number {
  if (clients === undefined) return info.subscribers;
  let n = 0;
  const counts = clients.countsByProtocol(info.key.toString());
  for (const protocol in counts) n += counts[protocol]!;
  return n;
}

/**
 * Register the viewer, per-stream and process families on `registry`.
 *
 * @param registry where
 * @param prefix the name prefix (`arcly_`)
 * @param engines the engines read at scrape time
 * @param maxStreamLabels the `stream` label cap
 */
export function registerViewerFamilies(
  registry: Registry,
  prefix: string,
  engines: ReadonlySet<EngineView>,
  maxStreamLabels: number,
): void {
  const registers = [registry];
  new Gauge({
    name: `${prefix}viewers`,
    help:
      "Viewers by protocol (HLS viewers as sessions; internal consumers are not viewers)",
    labelNames: ["protocol"],
    registers,
    collect(): void {
      this.reset();
      const totals: Record<string, number> = {};
      for (const protocol of VIEWER_PROTOCOLS) totals[protocol] = 0;
      for (const engine of engines) {
        const counts = engine.clients?.viewersByProtocol() ?? {};
        for (const protocol in counts) {
          totals[protocol] = (totals[protocol] ?? 0) + counts[protocol]!;
        }
      }
      for (const protocol in totals) this.set({ protocol }, totals[protocol]!);
    },
  });
  const perStream = (
    fill: (set: (stream: string, value: number) => void) => void,
  ) =>
    function (this: Gauge<"stream">): void {
      this.reset();
      const values = new Map<string, number>();
      fill((stream, value) => values.set(stream, value));
      const keys = [...values.keys()].sort();
      let other = 0;
      keys.forEach((stream, i) => {
        if (i < maxStreamLabels) this.set({ stream }, values.get(stream)!);
        else other += values.get(stream)!;
      });
      this.set({ stream: "other" }, other); // always a sample
    };
  new Gauge({
    name: `${prefix}stream_viewers`,
    help:
      `Viewers per stream (at most ${maxStreamLabels} stream labels, the rest summed as stream="other")`,
    labelNames: ["stream"],
    registers,
    collect: perStream((set) => {
      for (const engine of engines) {
        for (const info of engine.streams()) {
          set(info.key.toString(), viewersOf(info, engine.clients));
        }
      }
    }),
  });
  new Gauge({
    name: `${prefix}stream_bitrate_bits_per_second`,
    help:
      `Ingest bitrate per stream over the QoS window (at most ${maxStreamLabels} stream labels, the rest summed as stream="other")`,
    labelNames: ["stream"],
    registers,
    collect: perStream((set) => {
      for (const engine of engines) {
        for (const info of engine.streams()) {
          let bits = 0;
          for (const track of info.qos.tracks) bits += track.bitrate;
          set(info.key.toString(), Math.round(bits));
        }
      }
    }),
  });
  registerProcessFamilies(registry, prefix);
}

function registerProcessFamilies(registry: Registry, prefix: string): void {
  const registers = [registry];
  const cpu = new CpuSampler();
  new Gauge({
    name: `${prefix}process_cpu_percent`,
    help: "Process CPU, % of one core since the previous scrape",
    registers,
    collect(): void {
      this.set(cpu.percent());
    },
  });
  let reported = 0;
  new Counter({
    name: `${prefix}process_cpu_seconds_total`,
    help: "Process CPU time, user + system, seconds",
    registers,
    collect(): void {
      const usage = process.cpuUsage();
      const seconds = (usage.user + usage.system) / 1e6;
      if (seconds > reported) this.inc(seconds - reported);
      reported = Math.max(reported, seconds);
    },
  });
  new Gauge({
    name: `${prefix}process_resident_memory_bytes`,
    help: "Process resident set size, bytes",
    registers,
    collect(): void {
      this.set(Deno.memoryUsage().rss);
    },
  });
  new Gauge({
    name: `${prefix}process_heap_used_bytes`,
    help: "V8 heap in use, bytes",
    registers,
    collect(): void {
      this.set(Deno.memoryUsage().heapUsed);
    },
  });
}

/**
 * Every declared family has a sample from the start: the labelled counters
 * begin with zero-valued series for their usual label values.
 *
 * @param c the observer's labelled counters
 */
export function seedZeroSeries(c: {
  bytesOut: Counter<"protocol">;
  evictions: Counter<"reason">;
  authFailures: Counter<"action" | "protocol">;
  clientsDropped: Counter<"protocol" | "code">;
  connectionsRefused: Counter<"protocol" | "reason">;
}): void {
  for (const protocol of VIEWER_PROTOCOLS) c.bytesOut.inc({ protocol }, 0);
  for (const reason of ["slow", "stalled", "shutdown", "kicked"]) {
    c.evictions.inc({ reason }, 0);
  }
  for (const action of ["publish", "play"]) {
    c.authFailures.inc({ action, protocol: "rtmp" }, 0);
  }
  c.clientsDropped.inc({ protocol: "http", code: "LimitExceeded" }, 0);
  c.connectionsRefused.inc({ protocol: "http", reason: "maxConnections" }, 0);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(
    /"/g,
    '\\"',
  );
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * The collectors' samples in the Prometheus text format, one block per
 * family (first help and type win); families already in `taken` and
 * invalid names are skipped, a collector that throws is left out.
 *
 * @param collectors read now
 * @param defaultLabels added to each sample
 * @param taken names already rendered by the registry
 * @returns the text (empty when no sample)
 */
export function renderCollectorSamples(
  collectors: readonly MetricsCollector[],
  defaultLabels: Readonly<Record<string, string>>,
  taken: ReadonlySet<string>,
): string {
  const families = new Map<string, { head: MetricSample; lines: string[] }>();
  for (const collector of collectors) {
    let samples: readonly MetricSample[];
    try {
      samples = collector.collectMetrics();
    } catch {
      continue; // a failing collector must not break the scrape
    }
    for (const sample of samples) {
      if (!NAME.test(sample.name) || taken.has(sample.name)) continue;
      let family = families.get(sample.name);
      if (family === undefined) {
        family = { head: sample, lines: [] };
        families.set(sample.name, family);
      }
      const labels = { ...defaultLabels, ...sample.labels };
      const parts: string[] = [];
      for (const [k, v] of Object.entries(labels)) {
        if (LABEL.test(k)) parts.push(`${k}="${escapeLabel(String(v))}"`);
      }
      const labelText = parts.length === 0 ? "" : `{${parts.join(",")}}`;
      family.lines.push(
        `${sample.name}${labelText} ${formatValue(sample.value)}`,
      );
    }
  }
  let out = "";
  for (const [name, { head, lines }] of families) {
    out += `# HELP ${name} ${escapeHelp(head.help)}\n# TYPE ${name} ${
      head.type === "counter" ? "counter" : "gauge"
    }\n${lines.join("\n")}\n`;
  }
  return out;
}
