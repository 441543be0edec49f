// deno-lint-ignore-file no-console -- command-line harness script: stdout/stderr are its interface
/**
 * Summarizes V8 `.cpuprofile` files (written by `deno run --cpu-prof` and
 * `node --cpu-prof`) into a "top self time" markdown table per server.
 *
 * Format: Chrome DevTools Protocol `Profiler.Profile` (nodes with callFrame,
 * `samples` = node ids, `timeDeltas` = µs between samples).
 *
 * Usage: `deno run -A bench/fanout/profile_summary.ts <dir-or-file>…`
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** How many functions each table lists. */
const TOP_FUNCTIONS = 15;

function listProfiles(path: string): string[] {
  try {
    if (Deno.statSync(path).isFile) {
      return path.endsWith(".cpuprofile") ? [path] : [];
    }
    return [...Deno.readDirSync(path)].flatMap((e) =>
      listProfiles(`${path}/${e.name}`)
    ).sort();
  } catch {
    return [];
  }
}

function label(frame: CallFrame): string {
  const file = frame.url === ""
    ? ""
    : frame.url.replace(/^.*\/(node_modules\/|work\/main\/)?/, "");
  const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
  return file === "" ? name : `${name} ${file}:${frame.lineNumber + 1}`;
}

/**
 * Self time per function of one profile, largest first.
 *
 * @param path A `.cpuprofile` file.
 * @returns Total sampled ms, busy (non-idle) ms and the top functions with
 * their self ms.
 */
export function topSelfTime(
  path: string,
): { totalMs: number; busyMs: number; top: [string, number][] } {
  const profile = JSON.parse(Deno.readTextFileSync(path)) as CpuProfile;
  const byId = new Map<number, ProfileNode>(
    profile.nodes.map((n) => [n.id, n]),
  );
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (node === undefined) continue;
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const top = [...self.entries()].filter(([k]) => k !== "(idle)").sort((a, b) =>
    b[1] - a[1]
  ).slice(0, TOP_FUNCTIONS);
  return { totalMs: total, busyMs: total - (self.get("(idle)") ?? 0), top };
}

/**
 * Markdown tables (top self time) for every profile under `dir`.
 *
 * @param dir A directory searched recursively for `.cpuprofile` files.
 * @returns Markdown text ("" when there is none).
 */
export function summarizeProfiles(dir: string): string {
  const out: string[] = [];
  for (const file of listProfiles(dir)) {
    const { totalMs, busyMs, top } = topSelfTime(file);
    out.push(
      `### Profile ${file.slice(dir.length + 1)} (${
        (totalMs / 1000).toFixed(1)
      } s sampled, ${(busyMs / 1000).toFixed(1)} s busy)`,
      ``,
    );
    out.push(`| self ms | % of busy | function |`, `|---:|---:|---|`);
    for (const [name, ms] of top) {
      out.push(
        `| ${ms.toFixed(0)} | ${
          (100 * ms / busyMs).toFixed(1)
        } | \`${name}\` |`,
      );
    }
    out.push(``);
  }
  return out.join("\n");
}

if (import.meta.main) {
  for (const arg of Deno.args) {
    console.log(summarizeProfiles(arg) || `no .cpuprofile under ${arg}`);
  }
}
