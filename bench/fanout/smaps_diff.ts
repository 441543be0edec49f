// deno-lint-ignore-file no-console -- command-line tool: stdout is its interface
/**
 * Where a process's RSS sits, from two copies of `/proc/<pid>/smaps` (before
 * and after): Rss summed per kind of mapping — V8 heap pages (anonymous
 * mappings under 1 MB), the glibc main arena (`[heap]`), larger anonymous
 * mappings (thread arenas, big buffers), file-backed (code) — and the change.
 *
 * Usage: `cat /proc/PID/smaps > a; …; cat /proc/PID/smaps > b;
 * deno run -A bench/fanout/smaps_diff.ts a b`
 *
 * @module
 */

/**
 * Rss (KB) per kind of mapping in the text of an smaps file.
 *
 * @param text `/proc/<pid>/smaps`.
 * @returns Kind → KB.
 */
export function rssByKind(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let kind: string | null = null;
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m !== null) {
      const size = parseInt(m[2]!, 16) - parseInt(m[1]!, 16);
      const name = m[3]!.trim();
      kind = name === ""
        ? size >= 64 << 20
          ? "anonymous ≥ 64 MB"
          : size >= 1 << 20
          ? "anonymous 1–64 MB"
          : "anonymous < 1 MB (V8 heap pages)"
        : name === "[heap]"
        ? "[heap] (glibc main arena)"
        : name.startsWith("/")
        ? "file-backed"
        : name;
    } else if (line.startsWith("Rss:") && kind !== null) {
      out.set(kind, (out.get(kind) ?? 0) + Number(line.split(/\s+/)[1]));
    }
  }
  return out;
}

if (import.meta.main) {
  const [a, b] = Deno.args.map((f) => rssByKind(Deno.readTextFileSync(f)));
  if (a === undefined || b === undefined) {
    throw new Error("Cannot compare: give two smaps files");
  }
  const kinds = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) =>
    ((b.get(y) ?? 0) - (a.get(y) ?? 0)) - ((b.get(x) ?? 0) - (a.get(x) ?? 0))
  );
  for (const k of kinds) {
    const x = (a.get(k) ?? 0) / 1024;
    const y = (b.get(k) ?? 0) / 1024;
    console.log(
      `${k.padEnd(34)} ${x.toFixed(1).padStart(8)} MB → ${
        y.toFixed(1).padStart(8)
      } MB (${y - x >= 0 ? "+" : ""}${(y - x).toFixed(1)})`,
    );
  }
}
