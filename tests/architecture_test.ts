// Repository rules written as tests (shared/STYLE.md C1, C2, C4):
// - import direction: media is a leaf; src sees only media's frame/error/codec/muxer
//   modules; protocols never import each other; only protocols/http imports hono;
// - no default exports anywhere in library code;
// - every public symbol of every entry point has a JSDoc @example.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const LIBRARY_DIRS = ["src", "media", "protocols", "transcode"];
const ENTRY_POINTS = Object.values(
  (JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))) as {
    exports: Record<string, string>;
  }).exports,
);

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
    for await (const file of walk(new URL(dir + "/", ROOT))) files.push(file);
  }
  return files;
}

const rootPath = new URL(ROOT).pathname;
function relative(path: string): string {
  return path.startsWith(rootPath) ? path.slice(rootPath.length) : path;
}

/** Import specifiers of a source file (static imports, re-exports, dynamic imports). */
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

/** Why the edge from `from` (repo-relative file) to `to` is forbidden, or null when allowed. */
export function forbiddenEdge(from: string, to: string): string | null {
  const bare = !to.startsWith(".") && !to.startsWith("/");
  if (bare) {
    if (to.startsWith("node:")) return null;
    if (to === "hono" || to.startsWith("hono/") || to.includes("npm:hono")) {
      return from.startsWith("protocols/http/")
        ? null
        : "only protocols/http may import hono";
    }
    if (to === "prom-client") {
      return from.startsWith("protocols/http/")
        ? null
        : "only protocols/http may import prom-client";
    }
    if (to === "werift") {
      return from.startsWith("protocols/webrtc/")
        ? null
        : "only protocols/webrtc may import werift";
    }
    return `library code may not import the package ${to}`;
  }
  const target = relative(new URL(to, new URL(from, ROOT)).pathname);
  if (from.startsWith("media/")) {
    return target.startsWith("media/")
      ? null
      : "media/ is a leaf and imports nothing outside media/";
  }
  if (from.startsWith("src/")) {
    if (target.startsWith("src/")) return null;
    const allowed = [
      "media/frame.ts",
      "media/stream_error.ts",
      "media/muxer.ts",
    ];
    if (
      allowed.includes(target) || target.startsWith("media/codec/") ||
      target.startsWith("media/storage/")
    ) {
      return null;
    }
    return "src/ may import only media's frame, error, muxer, codec and storage contracts";
  }
  if (from.startsWith("transcode/")) {
    // transcode/ drives ffmpeg around the kernel: src and media public modules only.
    if (target.startsWith("transcode/")) return null;
    const file = target.slice(target.lastIndexOf("/") + 1);
    return (target.startsWith("src/") || target.startsWith("media/")) &&
        !file.startsWith("_")
      ? null
      : "transcode/ may import only public modules of src/ and media/";
  }
  if (
    from.startsWith("protocols/rtmp/") && target.startsWith("protocols/http/")
  ) return "rtmp may not import http";
  if (
    from.startsWith("protocols/http/") && target.startsWith("protocols/rtmp/")
  ) return "http may not import rtmp";
  return null;
}

Deno.test("architecture: import direction is media ← src ← protocols, and only http imports hono", async () => {
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

Deno.test("architecture: forbiddenEdge() catches each forbidden direction", () => {
  assert.ok(forbiddenEdge("media/hls/x.ts", "../../src/mod.ts"));
  assert.ok(forbiddenEdge("src/engine.ts", "../protocols/rtmp/mod.ts"));
  assert.ok(forbiddenEdge("src/engine.ts", "../media/hls/mod.ts"));
  assert.ok(forbiddenEdge("protocols/rtmp/a.ts", "../http/mod.ts"));
  assert.ok(forbiddenEdge("protocols/http/a.ts", "../rtmp/mod.ts"));
  assert.ok(forbiddenEdge("transcode/a.ts", "../protocols/http/mod.ts"));
  assert.ok(forbiddenEdge("transcode/a.ts", "../src/_live_stream.ts"));
  assert.equal(forbiddenEdge("transcode/a.ts", "../media/flv/mod.ts"), null);
  assert.ok(forbiddenEdge("protocols/rtmp/a.ts", "hono"));
  assert.equal(forbiddenEdge("protocols/http/a.ts", "hono"), null);
  assert.ok(forbiddenEdge("protocols/http/a.ts", "werift"));
  assert.equal(forbiddenEdge("protocols/webrtc/a.ts", "werift"), null);
  assert.equal(forbiddenEdge("src/engine.ts", "../media/frame.ts"), null);
  assert.equal(forbiddenEdge("media/flv/a.ts", "../codec/mod.ts"), null);
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
