// Repository rules written as tests (shared/STYLE.md C1, C2, C4; docs/DESIGN.md
// "Layers"). To extend, add a row to a table below, not a new branch:
// - LAYERS: which folders a folder may import (import direction:
//   media ← src ← pipelines / transcode / protocols; protocols never import
//   each other except the network layer protocols/net/);
// - PACKAGES: which npm packages a folder may import;
// - no `_`-prefixed file is imported from outside its own folder (tests aside);
// - no import cycle in library code (type imports included);
// - no socket code in the kernel (src/);
// - no default exports and no console in library code;
// - every public symbol of every entry point has a JSDoc @example.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const LIBRARY_DIRS = [
  "src",
  "media",
  "protocols",
  "pipelines",
  "transcode",
  "cluster",
];
const ENTRY_POINTS = Object.values(
  (JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))) as {
    exports: Record<string, string>;
  }).exports,
);

/** npm packages (bare specifiers) each folder may import; `node:` is always allowed. */
const PACKAGES: readonly { folder: string; packages: readonly string[] }[] = [
  { folder: "protocols/http/", packages: ["hono", "prom-client"] },
  { folder: "protocols/webrtc/", packages: ["werift", "tweetnacl"] },
  { folder: "cluster/", packages: ["@redis/client"] },
];

/**
 * Import direction. A file under `folder` may import a target when one of
 * `may` matches it: a folder prefix ending in "/", an exact file, the
 * special "own" (the importing file's own protocol or top-level folder), or
 * "public:<folder>/" (that folder's files not starting with `_`).
 * The first row whose folder matches applies.
 */
const LAYERS: readonly {
  folder: string;
  may: readonly string[];
  why: string;
}[] = [
  {
    folder: "media/",
    may: ["media/"],
    why: "media/ is a leaf and imports nothing outside media/",
  },
  {
    folder: "src/",
    may: [
      "src/",
      "media/frame.ts",
      "media/stream_error.ts",
      "media/muxer.ts",
      "media/codec/",
      "media/storage/",
    ],
    why:
      "src/ may import only media's frame, error, muxer, codec and storage contracts",
  },
  {
    folder: "pipelines/",
    may: ["pipelines/", "src/", "media/"],
    why: "pipelines/ may import the kernel and media, never a protocol",
  },
  {
    folder: "cluster/",
    may: ["cluster/", "mod.ts", "src/", "media/"],
    why: "cluster/ may import the kernel and media, never a protocol",
  },
  {
    folder: "transcode/",
    may: [
      "transcode/",
      "public:src/",
      "public:media/",
      "public:protocols/net/",
    ],
    why:
      "transcode/ may import only public modules of src/, media/ and the shared network layer (protocols/net/)",
  },
  {
    // The compatibility re-export of HlsPackaging (moved to pipelines/).
    folder: "protocols/http/mod.ts",
    may: [
      "own",
      "protocols/net/",
      "src/",
      "media/",
      "pipelines/hls_packaging.ts",
    ],
    why: "protocols/http/mod.ts re-exports only HlsPackaging from pipelines/",
  },
  {
    folder: "protocols/",
    may: ["own", "protocols/net/", "src/", "media/"],
    why:
      "a protocol imports its own folder, protocols/net/, src/ and media/, never another protocol",
  },
];

/**
 * Known import cycles still to break, by folder owner (remove a row when
 * fixed): the test fails on any other cycle, and on a listed one that is gone.
 */
const KNOWN_CYCLES: readonly string[] = [
  // media/hls (issue 20): hls_segmenter_options.ts needs HlsSegmenter's type for continueFrom.
  "media/hls/_segment_assembler.ts media/hls/_segment_writer.ts media/hls/hls_segmenter.ts media/hls/hls_segmenter_options.ts",
];

async function* walk(dir: URL): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.name.endsWith(".ts")) yield url.pathname;
  }
}

async function libraryFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of LIBRARY_DIRS) {
    try {
      for await (const file of walk(new URL(dir + "/", ROOT))) files.push(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return files;
}

const rootPath = new URL(ROOT).pathname;
function relative(path: string): string {
  return path.startsWith(rootPath) ? path.slice(rootPath.length) : path;
}

/** Import specifiers of a source file (static imports, type imports, re-exports, dynamic imports). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  // Comments (doc examples import public specifiers) are not code: blank them out first.
  source = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(
    /(^|[^:"'`])\/\/.*$/gm,
    "$1",
  );
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

function isBare(spec: string): boolean {
  return !spec.startsWith(".") && !spec.startsWith("/");
}

/** The repo-relative file `spec` names, imported from `from`. */
function resolve(from: string, spec: string): string {
  return relative(new URL(spec, new URL(from, ROOT)).pathname);
}

/** "protocols/rtmp/" for a protocol file, else its top-level folder. */
function ownFolder(file: string): string {
  const parts = file.split("/");
  return parts[0] === "protocols" ? `protocols/${parts[1]}/` : `${parts[0]}/`;
}

function packageOf(spec: string): string {
  const name = spec.replace(/^npm:/, "").replace(/@[^/@]*$/, "");
  return name.startsWith("@")
    ? name.split("/").slice(0, 2).join("/")
    : name.split("/")[0]!;
}

/** Why the edge from `from` (repo-relative file) to `to` is forbidden, or null when allowed. */
export function forbiddenEdge(from: string, to: string): string | null {
  if (isBare(to)) {
    if (to.startsWith("node:")) return null;
    const name = packageOf(to);
    const owners = PACKAGES.filter((p) => p.packages.includes(name));
    if (owners.length === 0) {
      return `library code may not import the package ${to}`;
    }
    return owners.some((p) => from.startsWith(p.folder))
      ? null
      : `only ${owners.map((p) => p.folder).join(", ")} may import ${name}`;
  }
  const target = resolve(from, to);
  const layer = LAYERS.find((l) =>
    l.folder.endsWith("/") ? from.startsWith(l.folder) : from === l.folder
  );
  if (layer === undefined) return null;
  const file = target.slice(target.lastIndexOf("/") + 1);
  const ok = layer.may.some((m) => {
    if (m === "own") return target.startsWith(ownFolder(from));
    if (m.startsWith("public:")) {
      return target.startsWith(m.slice(7)) && !file.startsWith("_");
    }
    return m.endsWith("/") ? target.startsWith(m) : target === m;
  });
  return ok ? null : layer.why;
}

/** Why importing `to` from `from` reaches into another folder's private file, or null. */
export function privateImport(from: string, to: string): string | null {
  if (isBare(to)) return null;
  const target = resolve(from, to);
  const name = target.slice(target.lastIndexOf("/") + 1);
  if (!name.startsWith("_")) return null;
  const dir = (f: string): string => f.slice(0, f.lastIndexOf("/") + 1);
  return dir(target) === dir(from)
    ? null
    : `${target} is private to ${dir(target)}`;
}

Deno.test("architecture: import direction follows LAYERS, npm packages follow PACKAGES", async () => {
  const violations: string[] = [];
  for (const file of await libraryFiles()) {
    const from = relative(file);
    for (const spec of specifiers(await Deno.readTextFile(file))) {
      const why = forbiddenEdge(from, spec);
      if (why) violations.push(`${from} → ${spec}: ${why}`);
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("architecture: forbiddenEdge() and privateImport() catch each forbidden shape", () => {
  assert.ok(forbiddenEdge("media/hls/x.ts", "../../src/mod.ts"));
  assert.ok(forbiddenEdge("src/engine.ts", "../protocols/rtmp/mod.ts"));
  assert.ok(forbiddenEdge("src/engine.ts", "../media/hls/mod.ts"));
  assert.ok(forbiddenEdge("protocols/rtmp/a.ts", "../http/mod.ts"));
  assert.ok(forbiddenEdge("protocols/http/a.ts", "../rtmp/mod.ts"));
  assert.ok(forbiddenEdge("protocols/srt/a.ts", "../webrtc/mod.ts"));
  assert.ok(forbiddenEdge("protocols/http/a.ts", "../../pipelines/mod.ts"));
  assert.ok(forbiddenEdge("pipelines/a.ts", "../protocols/http/mod.ts"));
  assert.equal(forbiddenEdge("pipelines/a.ts", "../media/hls/mod.ts"), null);
  assert.equal(forbiddenEdge("protocols/srt/a.ts", "../net/mod.ts"), null);
  assert.equal(
    forbiddenEdge("protocols/http/server/a.ts", "../live_body.ts"),
    null,
  );
  assert.ok(forbiddenEdge("transcode/a.ts", "../protocols/http/mod.ts"));
  assert.ok(forbiddenEdge("transcode/a.ts", "../src/_live_stream.ts"));
  assert.equal(forbiddenEdge("transcode/a.ts", "../media/flv/mod.ts"), null);
  assert.ok(forbiddenEdge("protocols/rtmp/a.ts", "hono"));
  assert.equal(forbiddenEdge("protocols/http/a.ts", "hono"), null);
  assert.equal(forbiddenEdge("protocols/http/ops/a.ts", "prom-client"), null);
  assert.ok(forbiddenEdge("protocols/http/a.ts", "werift"));
  assert.equal(forbiddenEdge("protocols/webrtc/a.ts", "werift"), null);
  assert.ok(forbiddenEdge("src/a.ts", "left-pad"));
  assert.equal(forbiddenEdge("src/engine.ts", "../media/frame.ts"), null);
  assert.equal(forbiddenEdge("media/flv/a.ts", "../codec/mod.ts"), null);
  assert.ok(privateImport("protocols/rtmp/a.ts", "../../src/_egress_tick.ts"));
  assert.ok(privateImport("protocols/http/server/a.ts", "../_remote_addr.ts"));
  assert.equal(privateImport("protocols/http/a.ts", "./_remote_addr.ts"), null);
  assert.equal(privateImport("src/a.ts", "./egress.ts"), null);
});

Deno.test("architecture: no `_`-prefixed file is imported from outside its own folder", async () => {
  const violations: string[] = [];
  for (const file of await libraryFiles()) {
    const from = relative(file);
    for (const spec of specifiers(await Deno.readTextFile(file))) {
      const why = privateImport(from, spec);
      if (why) violations.push(`${from} → ${spec}: ${why}`);
    }
  }
  assert.deepEqual(violations, []);
});

/** Strongly connected components of more than one file (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort().join(" "));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort();
}

Deno.test("architecture: no import cycles in library code (type imports included)", async () => {
  const graph = new Map<string, string[]>();
  for (const file of await libraryFiles()) {
    const from = relative(file);
    const specs = specifiers(await Deno.readTextFile(file));
    graph.set(
      from,
      specs.filter((s) => !isBare(s)).map((s) => resolve(from, s)),
    );
  }
  assert.deepEqual(cycles(graph), [...KNOWN_CYCLES].sort());
  assert.deepEqual(
    cycles(
      new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts"]], ["c.ts", ["a.ts"]]]),
    ),
    ["a.ts b.ts"],
  );
});

Deno.test("architecture: the kernel (src/) has no socket code", async () => {
  const violations: string[] = [];
  const socket =
    /\bDeno\.(listen|listenTls|listenDatagram|connect|connectTls|startTls|Conn|TcpConn|TlsConn|Listener|DatagramConn|serve|upgradeWebSocket)\b/;
  for await (const file of walk(new URL("src/", ROOT))) {
    const code = (await Deno.readTextFile(file)).replace(
      /\/\*[\s\S]*?\*\//g,
      "",
    )
      .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
    const match = code.match(socket);
    if (match) violations.push(`${relative(file)}: ${match[0]}`);
  }
  assert.deepEqual(violations, []);
});

Deno.test("architecture: no default exports and no console in library code", async () => {
  const violations: string[] = [];
  for (const file of await libraryFiles()) {
    const text = await Deno.readTextFile(file);
    if (/^\s*export\s+default\b/m.test(text)) {
      violations.push(`${relative(file)}: default export`);
    }
    if (/^\s*console\./m.test(text)) {
      violations.push(`${relative(file)}: console`);
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("architecture: the root entry point never loads hono", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("mod.ts", ROOT).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const hono = info.modules.filter((m) =>
    m.specifier.includes("hono") || m.specifier.includes("protocols/http")
  );
  assert.deepEqual(hono, []);
});

interface DocSymbol {
  name: string;
  declarations: {
    declarationKind: string;
    kind: string;
    jsDoc?: { tags?: { kind: string }[] };
  }[];
}

Deno.test("architecture: every public symbol has a JSDoc @example", async () => {
  const entryPoints = ENTRY_POINTS.map((p) => new URL(p, ROOT).pathname);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...entryPoints],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols: DocSymbol[] }>;
  };
  const missingExample = new Set<string>();
  for (const [file, node] of Object.entries(doc.nodes)) {
    for (const symbol of node.symbols ?? []) {
      for (const declaration of symbol.declarations) {
        // A "reference" is a re-export; the original declaration is checked where it is declared.
        if (
          declaration.declarationKind !== "export" ||
          declaration.kind === "reference"
        ) continue;
        const tags = declaration.jsDoc?.tags ?? [];
        if (!tags.some((t) => t.kind === "example")) {
          missingExample.add(
            `${relative(new URL(file).pathname)}: ${symbol.name}`,
          );
        }
      }
    }
  }
  assert.deepEqual([...missingExample].sort(), []);
});
