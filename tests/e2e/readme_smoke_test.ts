// The README's commands, run as a newcomer would run them. Every `sh` block
// marked `<!-- smoke … -->` in README.md is parsed line by line (a trailing
// `# comment` dropped) and run in order, with only what a test must change:
// - `deno task start …` / `deno task demo` (the origin) gets `--rtmp/--http/--srt/--rtsp/
//   --webrtc-udp 127.0.0.1:0` appended (the task grants writes to ./hls and
//   ./rec only: the unique stream's files there are removed after); it runs
//   in the background and must print its banner; the ports it bound replace
//   the README's `localhost:1935` / `localhost:8080` in the lines after it;
// - `deno run … <registry>:@arcly/stream/cli` (the README's published
//   package) runs the local `cli.ts` (the same
//   module as published; no network here) and must exit 0;
// - `ffmpeg` publishes a generated clip in place of `in.mp4`, in the
//   background; `live/cam` becomes a unique stream name;
// - `ffprobe URL` must exit 0 and report the H.264 video (retried until the
//   stream is there, bounded).
// Each origin is stopped with SIGINT (its process group) and must exit 0.
import assert from "node:assert/strict";
import { missing, run, spawnLogged, tempDir } from "../_tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The commands of each smoke-marked `sh` block of `markdown`. */
export function smokeBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  for (
    const m of markdown.matchAll(/<!-- smoke[^>]*-->\s*```sh\n([\s\S]*?)```/g)
  ) {
    blocks.push(
      m[1]!.split("\n")
        .map((line) => line.replace(/\s+#\s.*$/, "").trim())
        .filter((line) => line !== "" && !line.startsWith("#")),
    );
  }
  return blocks;
}

/** Split a command line into words (double quotes group, no other shell syntax). */
export function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

interface Ports {
  rtmp: string;
  http: string;
}

async function clip(dir: string): Promise<string> {
  const path = `${dir}/in.mp4`;
  const r = await run("ffmpeg", [
    ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
    ...["-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25"],
    ...["-c:a", "aac", "-y", path],
  ], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return path;
}

Deno.test({
  name:
    "README: the smoke-marked blocks run (origin banner, ffmpeg publishes, ffprobe reads HLS and HTTP-FLV, --help)",
  ignore: missing("ffmpeg", "ffprobe", "setsid"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const readme = await Deno.readTextFile(`${ROOT}README.md`);
    const blocks = smokeBlocks(readme);
    assert.ok(blocks.length >= 2, "smoke-marked blocks in README.md");
    assert.ok(
      blocks.flat().some((l) => /^(npx -y deno@2|deno) task start\b/.test(l)),
      "a block starts the origin",
    );
    assert.ok(blocks.flat().some((l) => l.startsWith("ffprobe ")));
    await using dir = await tempDir("arcly-readme-");
    const input = await clip(dir.path);
    const name = `smoke${Date.now().toString(36)}`;
    const report: string[] = [];
    for (const block of blocks) {
      const background: Deno.ChildProcess[] = [];
      const origins: ReturnType<typeof spawnLogged>[] = [];
      let ports: Ports | null = null;
      try {
        for (const line of block) {
          const argv = words(line);
          if (argv[0] === "npx" && argv[1] === "-y") argv.splice(0, 3, "deno");
          const rewrite = (w: string) => {
            let out = w.replaceAll("live/cam", `live/${name}`);
            if (ports) {
              out = out.replace(/\b(localhost|HOST):1935\b/, ports.rtmp)
                .replace(/\b(localhost|HOST):8080\b/, ports.http);
            }
            return out === "in.mp4" ? input : out;
          };
          if (
            argv[0] === "deno" && argv[1] === "task" &&
            (argv[2] === "start" || argv[2] === "demo")
          ) {
            const args = [
              ...argv.slice(1).map(rewrite),
              ...["--rtmp", "127.0.0.1:0", "--http", "127.0.0.1:0"],
              ...["--srt", "127.0.0.1:0", "--rtsp", "127.0.0.1:0"],
              ...["--webrtc-udp", "127.0.0.1:0"],
            ];
            // Its own process group, so that SIGINT reaches `deno run` under `deno task`.
            const origin = spawnLogged(
              "setsid",
              [Deno.execPath(), ...args],
              ROOT,
            );
            origins.push(origin);
            const http = (await origin.waitFor(
              /dashboard\s+http:\/\/([^/\s]+)\//,
              60_000,
            ))[1]!;
            const rtmp = (await origin.waitFor(/rtmp:\/\/([^/\s]+)\//))[1]!;
            assert.match(origin.out, /arcly-stream origin/);
            ports = { rtmp, http };
            report.push(`${line}: banner, RTMP ${rtmp}, HTTP ${http}`);
          } else if (argv[0] === "deno") {
            const args = argv.slice(1).map((w) =>
              w.endsWith(":@arcly/stream/cli") ? `${ROOT}cli.ts` : rewrite(w)
            );
            const r = await run(Deno.execPath(), args, {
              cwd: ROOT,
              timeoutMs: 60_000,
            });
            assert.equal(r.code, 0, `${line}\n${r.stderr}`);
            assert.match(r.stdout + r.stderr, /Usage:|arcly-stream/);
            report.push(`${line}: exit 0`);
          } else if (argv[0] === "ffmpeg") {
            background.push(
              new Deno.Command("ffmpeg", {
                args: argv.slice(1).map(rewrite),
                stdin: "null",
                stdout: "null",
                stderr: "null",
              }).spawn(),
            );
            report.push(`${line}: publishing`);
          } else if (argv[0] === "ffprobe") {
            const args = argv.slice(1).map(rewrite);
            const deadline = Date.now() + 30_000;
            let last = "";
            while (true) {
              const r = await run("ffprobe", args, { timeoutMs: 15_000 });
              last = r.stderr;
              if (r.code === 0 && /Video: h264/.test(r.stderr)) break;
              if (Date.now() > deadline) {
                assert.fail(`${line} (as ${args.join(" ")}):\n${last}`);
              }
              await new Promise((r) => setTimeout(r, 1000));
            }
            report.push(`${line}: ${last.match(/Video: [^,]+/)?.[0]}`);
          } else {
            assert.fail(`no rule to run a smoke line: ${line}`);
          }
        }
      } finally {
        for (const p of background) {
          try {
            p.kill("SIGKILL");
          } catch { /* exited */ }
          await p.status;
        }
        for (const origin of origins) {
          const pid = origin.child.pid;
          try {
            Deno.kill(-pid, "SIGINT");
          } catch { /* exited */ }
          const timer = setTimeout(() => {
            try {
              Deno.kill(-pid, "SIGKILL");
            } catch { /* exited */ }
          }, 15_000);
          const status = await origin.done();
          clearTimeout(timer);
          assert.equal(
            status.code,
            0,
            `origin exit\n${origin.out}\n${origin.err}`,
          );
        }
      }
    }
    for (const folder of ["hls", "rec"]) {
      const live = `${ROOT}${folder}/live`;
      const entries = await Array.fromAsync(Deno.readDir(live)).catch(() => []);
      for (const e of entries) {
        if (e.name.startsWith(name)) {
          await Deno.remove(`${live}/${e.name}`, { recursive: true });
        }
      }
    }
    // deno-lint-ignore no-console
    console.log(report.join("\n"));
  },
});
