/**
 * Child processes of the fan-out benchmark: the two servers under test, the
 * ffmpeg publisher and the load client. Each child runs in its own process
 * group (`setsid`, which execs in place so the pid we get is the server's pid
 * and its group id), and `stop()` signals the whole group: SIGTERM, then
 * SIGKILL after a grace period. `stopAll()` is called from `finally` and from
 * the SIGINT/SIGTERM handlers of the orchestrator; a watchdog per child kills
 * its group if the orchestrator itself is killed with SIGKILL.
 *
 * @module
 */

/** Grace period between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5000;

/** A started child process group. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  /** Stops the process group (idempotent). */
  stop(): Promise<void>;
}

const running = new Set<Child>();

/** Options for {@linkcode spawnGroup}. */
export interface SpawnOptions {
  cwd?: string;
  /** File that receives stdout and stderr (appended); default: discarded. */
  logPath?: string;
  env?: Record<string, string>;
}

/**
 * Starts `cmd args…` in a new process group.
 *
 * @param name A label for logs.
 * @param cmd The program.
 * @param args Its arguments.
 * @param options Working directory and log file.
 * @returns The child handle.
 */
export function spawnGroup(
  name: string,
  cmd: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Child {
  const log = options.logPath === undefined
    ? null
    : Deno.openSync(options.logPath, { append: true, create: true });
  const proc = new Deno.Command("setsid", {
    args: [cmd, ...args],
    stdin: "null",
    stdout: log === null ? "null" : "piped",
    stderr: log === null ? "null" : "piped",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  }).spawn();
  const pumps: Promise<void>[] = [];
  if (log !== null) {
    for (const stream of [proc.stdout, proc.stderr]) {
      pumps.push(
        stream.pipeTo(
          new WritableStream({ write: (c) => void log.writeSync(c) }),
        ).catch(() => {}),
      );
    }
  }
  const status = proc.status.then(async (s) => {
    await Promise.all(pumps);
    log?.close();
    return s;
  });
  let stopping: Promise<void> | null = null;
  const child: Child = {
    name,
    pid: proc.pid,
    status,
    stop(): Promise<void> {
      stopping ??= (async () => {
        signalGroup(proc.pid, "SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<void>((r) =>
          timer = setTimeout(r, STOP_GRACE_MS)
        );
        await Promise.race([status, timeout]);
        clearTimeout(timer);
        signalGroup(proc.pid, "SIGKILL"); // the group may have stragglers even if the leader exited
        await status;
        running.delete(child);
      })();
      return stopping;
    },
  };
  running.add(child);
  status.then(() => running.delete(child));
  startWatchdog(proc.pid);
  return child;
}

/**
 * Kills the child's process group if this orchestrator dies without running
 * its `finally` (SIGKILL, crash): a detached `sh` polls both pids once a
 * second and exits on its own when the child ends first.
 */
function startWatchdog(pid: number): void {
  const script =
    `while kill -0 ${Deno.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; ` +
    `kill -0 ${Deno.pid} 2>/dev/null || kill -KILL -- -${pid} 2>/dev/null`;
  const watchdog = new Deno.Command("setsid", {
    args: ["sh", "-c", script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  watchdog.unref();
}

function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch { /* group already gone */ }
}

/** Stops every child still running (used from `finally` and signal handlers). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()));
}

/**
 * Picks a free TCP port on 127.0.0.1 (bind port 0, read it, close).
 *
 * @returns The port number.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Waits until something accepts TCP connections on `port`.
 *
 * @param port The port on 127.0.0.1.
 * @param timeoutMs Give up after this long.
 * @param child When given, fail early if it exits.
 */
export async function waitForPort(
  port: number,
  timeoutMs: number,
  child?: Child,
): Promise<void> {
  let exited = false;
  child?.status.then(() => exited = true);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !exited) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(
    `Cannot reach 127.0.0.1:${port}: ${
      exited ? `${child?.name} exited` : "timed out"
    }`,
  );
}
