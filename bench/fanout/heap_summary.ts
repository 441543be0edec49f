// deno-lint-ignore-file no-console -- command-line tool: stdout is its interface
/**
 * Summarizes V8 heap snapshots (`.heapsnapshot`, as `node:v8`
 * `writeHeapSnapshot()` writes them after a full GC): self size and count per
 * node type and constructor name, and with two files the difference
 * (second − first), largest first — where the bytes of N more viewers are.
 *
 * Usage: `deno run -A bench/fanout/heap_summary.ts before.heapsnapshot after.heapsnapshot [--per=500] [--top=30]`
 *
 * @module
 */

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: unknown[] };
    node_count: number;
  };
  nodes: number[];
  strings: string[];
}

/** Bytes and count per `type:name` group. */
export type Groups = Map<string, { bytes: number; count: number }>;

/**
 * Groups a parsed snapshot's nodes by type and name.
 *
 * @param snap The parsed JSON.
 * @returns The groups.
 */
export function groupNodes(snap: Snapshot): Groups {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const stride = fields.length;
  const fType = fields.indexOf("type");
  const fName = fields.indexOf("name");
  const fSize = fields.indexOf("self_size");
  const out: Groups = new Map();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + fType]!] ?? "?";
    let name = snap.strings[snap.nodes[i + fName]!] ?? "?";
    if (type === "string" || type === "concatenated string") name = "";
    if (type === "code" || type === "hidden") name = name.slice(0, 40);
    if (type === "closure") name = `closure ${name.slice(0, 40)}`;
    const key = `${type}:${name.slice(0, 60)}`;
    const g = out.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += snap.nodes[i + fSize]!;
    g.count++;
    out.set(key, g);
  }
  return out;
}

function load(path: string): Groups {
  return groupNodes(JSON.parse(Deno.readTextFileSync(path)) as Snapshot);
}

if (import.meta.main) {
  const files = Deno.args.filter((a) => !a.startsWith("--"));
  const flag = (k: string, d: number): number =>
    Number(
      Deno.args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d,
    );
  const per = flag("per", 1);
  const top = flag("top", 30);
  const a = load(files[0]!);
  const b = files[1] === undefined ? new Map() as Groups : load(files[1]);
  const keys = new Set([...a.keys(), ...b.keys()]);
  const rows = [...keys].map((k) => {
    const x = a.get(k) ?? { bytes: 0, count: 0 };
    const y = b.get(k) ?? { bytes: 0, count: 0 };
    return files[1] === undefined
      ? { k, bytes: x.bytes, count: x.count }
      : { k, bytes: y.bytes - x.bytes, count: y.count - x.count };
  }).sort((p, q) => Math.abs(q.bytes) - Math.abs(p.bytes));
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(
    `total ${(total / 1024).toFixed(0)} KB (${(total / per).toFixed(0)} B per ${
      per === 1 ? "snapshot" : "viewer"
    })`,
  );
  console.log(
    "| group | bytes | count | bytes per viewer | count per viewer |",
  );
  console.log("|---|---:|---:|---:|---:|");
  for (const r of rows.slice(0, top)) {
    console.log(
      `| ${r.k} | ${r.bytes} | ${r.count} | ${(r.bytes / per).toFixed(0)} | ${
        (r.count / per).toFixed(2)
      } |`,
    );
  }
}
