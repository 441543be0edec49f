// Shared test helpers for interop tests that need real peers (ffmpeg, ffprobe, chromium).
// Locally a missing tool skips the test; in CI (CI=true) a missing tool is a failure.

/** Whether we run in CI, where every interop tool is mandatory. */
export const inCi: boolean = Deno.env.get("CI") === "true";

const found = new Map<string, boolean>();

/** True when `name` is on PATH. Throws in CI when it is missing. */
export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    try {
      const out = new Deno.Command("sh", {
        args: ["-c", `command -v ${name}`],
        stdout: "null",
        stderr: "null",
      })
        .outputSync();
      ok = out.success;
    } catch {
      ok = false;
    }
    found.set(name, ok);
  }
  if (!ok && inCi) {
    throw new Error(`Cannot run interop test: ${name} is missing in CI`);
  }
  return ok;
}

/** `ignore` value for Deno.test: true when any tool is missing (never in CI, where it throws). */
export function missing(...tools: string[]): boolean {
  return !tools.every(hasTool);
}

/** Result of a finished subprocess. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to completion, with a time limit (default 60 s). */
export async function run(
  cmd: string,
  args: string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 60_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** ffprobe a file or URL and return its parsed JSON (streams + format). */
export async function ffprobe(
  input: string,
  extra: string[] = [],
): Promise<FfprobeResult> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-print_format",
    "json",
    "-show_streams",
    "-show_format",
    ...extra,
    input,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe failed (${r.code}): ${r.stderr}`);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

/** The subset of ffprobe's JSON that tests read. */
export interface FfprobeResult {
  streams: Array<
    Record<string, unknown> & { codec_name: string; codec_type: string }
  >;
  format: Record<string, unknown>;
  stderr: string;
}

/** A fresh temporary directory, removed by the returned dispose function. */
export async function tempDir(
  prefix = "arcly-test-",
): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
