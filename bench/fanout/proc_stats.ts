/**
 * Process CPU and memory from Linux `/proc` (proc(5)): `/proc/<pid>/stat`
 * fields 14–15 (utime, stime, in clock ticks, all threads of the process) and
 * `/proc/<pid>/status` `VmRSS`.
 *
 * @module
 */

/** USER_HZ: the unit of utime/stime; 100 on every Linux ABI Deno runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** One reading of a process's CPU time and resident memory. */
export interface ProcSample {
  /** `performance.now()` when read (ms). */
  at: number;
  /** utime + stime of the whole process, in seconds. */
  cpuSeconds: number;
  /** Resident set size in bytes. */
  rssBytes: number;
  /** Of it, file-backed pages (`RssFile`: the binary's code, mapped files). */
  rssFileBytes: number;
  /** Minor page faults so far (first touches of fresh memory, mostly). */
  minorFaults: number;
}

/**
 * Reads a file under `/proc` through `cat`: Deno grants direct reads of
 * `/proc/<pid>/…` only under `--allow-all`, and the bench tasks are scoped
 * (`--allow-run` covers this). Throws when the file is gone.
 *
 * @param path e.g. `/proc/123/status`
 * @returns the file's text
 */
export function readProcText(path: string): string {
  const out = new Deno.Command("cat", {
    args: [path],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (!out.success) throw new Error(`Cannot read ${path}`);
  return new TextDecoder().decode(out.stdout);
}

/** Open file descriptors of `pid` (entries of `/proc/<pid>/fd`, listed with `ls`). */
export function countFds(pid: number): number {
  const out = new Deno.Command("ls", {
    args: [`/proc/${pid}/fd`],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (!out.success) throw new Error(`Cannot list /proc/${pid}/fd`);
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    l !== ""
  ).length;
}

/**
 * Reads CPU time and RSS of `pid`.
 *
 * @param pid The process id.
 * @returns The sample, or `null` when the process is gone.
 */
export function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readProcText(`/proc/${pid}/stat`);
    const status = readProcText(`/proc/${pid}/status`);
    const at = performance.now();
    // comm (field 2) may contain spaces: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const file = /RssFile:\s+(\d+) kB/.exec(status);
    return {
      at,
      cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
      rssBytes: rss ? Number(rss[1]) * 1024 : 0,
      rssFileBytes: file ? Number(file[1]) * 1024 : 0,
      minorFaults: Number(fields[7]),
    };
  } catch {
    return null;
  }
}

/**
 * CPU seconds used per wall-clock second between two samples.
 *
 * @param a The earlier sample.
 * @param b The later sample.
 * @returns Cores busy on average (1.0 = one full core).
 */
export function cpuRate(a: ProcSample, b: ProcSample): number {
  return (b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1000);
}
