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

/** A running subprocess whose stdout/stderr are collected as text. */
export interface LoggedProcess {
  child: Deno.ChildProcess;
  /** Everything printed on stdout so far. */
  readonly out: string;
  /** Everything printed on stderr so far. */
  readonly err: string;
  /** Resolve with the first match of `pattern` in stdout (polls; throws after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Wait for exit and for the output to be read. */
  done(): Promise<Deno.CommandStatus>;
  /** Send `signal` (default SIGINT, as Ctrl-C) if still running, then `done()`. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Spawn `cmd` with piped output, no stdin and clean error output (RUST_BACKTRACE=0). */
export function spawnLogged(
  cmd: string,
  args: string[],
  cwd: string,
): LoggedProcess {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
  }).spawn();
  let out = "";
  let err = "";
  const pumps = Promise.all([
    (async () => {
      for await (
        const chunk of child.stdout.pipeThrough(new TextDecoderStream())
      ) out += chunk;
    })(),
    (async () => {
      for await (
        const chunk of child.stderr.pipeThrough(new TextDecoderStream())
      ) err += chunk;
    })(),
  ]);
  const done = async (): Promise<Deno.CommandStatus> => {
    const status = await child.status;
    await pumps;
    return status;
  };
  return {
    child,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    async waitFor(
      pattern: RegExp,
      timeoutMs = 20_000,
    ): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = out.match(pattern);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `Timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`,
      );
    },
    done,
    stop(signal: Deno.Signal = "SIGINT"): Promise<Deno.CommandStatus> {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return done();
    },
  };
}
