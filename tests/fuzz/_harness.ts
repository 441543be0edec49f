// One fuzz harness for every parser and state machine (issue #9).
//
// fuzzTarget() feeds a target seeded random and mutated inputs (derived from
// real-capture seeds) and enforces the contract every parser shares:
//   - only StreamError (and subclasses such as BitstreamError) may escape;
//     anything else is a failure, and its input is saved as a reproducer;
//   - each input is bounded in time: an input slower than `hangMs` is re-run
//     up to twice measuring process CPU time (a busy host or a GC pause is not
//     a hang) and, if every run is slow while the target's first seed runs in under half the bound
//     (the host is not simply overloaded), flagged as a hang with its bytes
//     in hex; otherwise counted in `busySkips`. (A synchronous
//     infinite loop cannot be preempted in-process: it would stall the run,
//     which the caller's timeout then reports.)
//   - no memory growth: heapUsed is sampled after a warm-up and at the end;
//     growth beyond `maxHeapGrowthBytes` fails the run.
// Everything is driven by mulberry32, so (name, seed, case index) replays a
// failure exactly: `replayCase()` rebuilds the input of one case.
import process from "node:process";
import { StreamError } from "../../media/stream_error.ts";

import { caseRandom, type Random, replayCase } from "./_mutations.ts";

export {
  applyStrategy,
  caseRandom,
  MAX_INPUT_BYTES,
  mulberry32,
  mutate,
  type Mutation,
  type Random,
  replayCase,
  STRATEGIES,
  type Strategy,
} from "./_mutations.ts";

/** Default per-input time bound; an input slower than this twice is a hang. */
export const DEFAULT_HANG_MS = 50;
/** Default heap growth allowed over a run (the issue's "no memory growth"). */
export const DEFAULT_MAX_HEAP_GROWTH = 64 * 1024 * 1024;

/** What one target needs: seeds and a function that must only throw StreamError. */
export interface FuzzOptions {
  /** Target name (reports, reproducer file names). */
  name: string;
  /** Seed inputs (real captures, hand-made valid messages). */
  seeds: Uint8Array[];
  /** Feed one input. `random` is a per-case PRNG (chunk sizes, choices). */
  run(input: Uint8Array, random: Random): void | Promise<void>;
  /** Number of inputs; default 2,000. */
  cases?: number;
  /** Run seed; default a hash of the name. */
  seed?: number;
  /** Per-input time bound, ms; default {@linkcode DEFAULT_HANG_MS}. */
  hangMs?: number;
  /** Heap growth allowed, bytes; default {@linkcode DEFAULT_MAX_HEAP_GROWTH}. */
  maxHeapGrowthBytes?: number;
  /** Where reproducers of failures are written; default none (hex only). */
  crashDir?: string;
  /** Stop after this many failures; default 5. */
  maxFailures?: number;
  /** Progress callback every `progressEvery` cases (long mode). */
  onProgress?: (done: number, result: FuzzResult) => void;
  /** How often onProgress is called; default 100,000. */
  progressEvery?: number;
}

/** One failing or hanging input. */
export interface FuzzFailure {
  /** Case index (replay with replayCase). */
  index: number;
  /** "error" (not a StreamError) or "hang". */
  kind: "error" | "hang";
  /** The error text and first stack lines, or the time taken. */
  detail: string;
  /** Strategies that built the input. */
  strategies: string[];
  /** The input in hex (first 512 bytes). */
  hex: string;
  /** The reproducer file, when crashDir was given. */
  file?: string;
}

/** The figures of one run. */
export interface FuzzResult {
  /** Target name. */
  name: string;
  /** Run seed. */
  seed: number;
  /** Inputs fed. */
  cases: number;
  /** Inputs rejected with a StreamError. */
  rejected: number;
  /** Wall time of the run, ms. */
  elapsedMs: number;
  /** Slow inputs not counted as hangs because the first seed was slow too (busy host). */
  busySkips: number;
  /** Slowest input, ms (after re-run). */
  slowestMs: number;
  /** Heap used after warm-up and at the end, bytes. */
  heapStart: number;
  /** Heap used at the end, bytes. */
  heapEnd: number;
  /** Highest sampled heap, bytes. */
  heapPeak: number;
  /** Failures and hangs (empty when clean). */
  failures: FuzzFailure[];
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** Hex of the first 512 bytes. */
export function toHex(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, 512);
  let out = "";
  for (const b of shown) out += b.toString(16).padStart(2, "0");
  return bytes.length > shown.length ? `${out}… (${bytes.length} bytes)` : out;
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  return Deno.memoryUsage().heapUsed;
}

/** Process CPU time, ms (user + system): unlike wall time, it does not grow while the host runs other jobs. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function timed(
  run: FuzzOptions["run"],
  input: Uint8Array,
  random: Random,
  clock: "wall" | "cpu" = "wall",
): Promise<{ ms: number; error: unknown; threw: boolean }> {
  const now = clock === "wall" ? () => performance.now() : cpuMs;
  const t0 = now();
  try {
    const pending = run(input, random);
    if (pending !== undefined) await pending;
    return { ms: now() - t0, error: undefined, threw: false };
  } catch (error) {
    return { ms: now() - t0, error, threw: true };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const stack = (error.stack ?? "").split("\n").slice(0, 6).join("\n");
    return stack || `${error.name}: ${error.message}`;
  }
  return `non-Error thrown: ${String(error)}`;
}

/**
 * Run one target. Resolves with the figures; failures are listed in
 * `result.failures` (use {@linkcode assertClean} in tests).
 */
export async function fuzzTarget(options: FuzzOptions): Promise<FuzzResult> {
  const cases = options.cases ?? 2_000;
  const seed = options.seed ?? hash(options.name);
  const hangMs = options.hangMs ?? DEFAULT_HANG_MS;
  const maxFailures = options.maxFailures ?? 5;
  const progressEvery = options.progressEvery ?? 100_000;
  const warmup = Math.min(cases - 1, Math.max(0, Math.floor(cases / 10)));
  const result: FuzzResult = {
    name: options.name,
    seed,
    cases: 0,
    rejected: 0,
    elapsedMs: 0,
    slowestMs: 0,
    busySkips: 0,
    heapStart: heapUsed(),
    heapEnd: 0,
    heapPeak: 0,
    failures: [],
  };
  // A slow input only counts as a hang if the target's first seed is fast
  // right now: when the seed is slow too, the host is busy (other jobs, GC).
  const reference = options.seeds[0] ?? new Uint8Array(0);
  const machineBusy = async () =>
    (await timed(options.run, reference, caseRandom(seed ^ 0x5a5a, 0), "cpu"))
      .ms > hangMs / 2;
  const started = performance.now();
  for (
    let index = 0;
    index < cases && result.failures.length < maxFailures;
    index++
  ) {
    if (index === warmup) result.heapStart = heapUsed();
    const { input, strategies } = replayCase(options.seeds, seed, index);
    let outcome = await timed(
      options.run,
      input,
      caseRandom(seed ^ 0x5a5a, index),
    );
    for (let retry = 0; retry < 2 && outcome.ms > hangMs; retry++) {
      // Re-run on CPU time (keep the fastest): a GC pause or a busy host is
      // not a hang, a real hang or super-linear blow-up burns CPU every time.
      const again = await timed(
        options.run,
        input,
        caseRandom(seed ^ 0x5a5a, index),
        "cpu",
      );
      if (again.ms < outcome.ms) outcome = again;
    }
    const slowButTyped = outcome.ms > hangMs &&
      (!outcome.threw || outcome.error instanceof StreamError);
    const busy = slowButTyped && await machineBusy();
    result.cases++;
    result.slowestMs = Math.max(result.slowestMs, outcome.ms);
    let failure: Omit<FuzzFailure, "hex" | "strategies" | "index"> | null =
      null;
    if (outcome.threw && !(outcome.error instanceof StreamError)) {
      failure = { kind: "error", detail: describe(outcome.error) };
    } else if (outcome.ms > hangMs && busy) {
      result.busySkips++;
      if (outcome.threw) result.rejected++;
    } else if (outcome.ms > hangMs) {
      failure = {
        kind: "hang",
        detail: `took ${outcome.ms.toFixed(1)} ms (bound ${hangMs} ms)`,
      };
    } else if (outcome.threw) result.rejected++;
    if (failure) {
      const record: FuzzFailure = {
        index,
        strategies,
        hex: toHex(input),
        ...failure,
      };
      if (options.crashDir) {
        await Deno.mkdir(options.crashDir, { recursive: true });
        const file = `${options.crashDir}/${
          options.name.replace(/[^\w.-]+/g, "_")
        }-${seed}-${index}.bin`;
        await Deno.writeFile(file, input);
        record.file = file;
      }
      result.failures.push(record);
    }
    if ((index & 255) === 255) {
      result.heapPeak = Math.max(result.heapPeak, Deno.memoryUsage().heapUsed);
    }
    if (options.onProgress && (index + 1) % progressEvery === 0) {
      result.elapsedMs = performance.now() - started;
      options.onProgress(index + 1, result);
    }
  }
  result.elapsedMs = performance.now() - started;
  result.heapEnd = heapUsed();
  result.heapPeak = Math.max(result.heapPeak, result.heapEnd);
  const growth = result.heapEnd - result.heapStart;
  if (growth > (options.maxHeapGrowthBytes ?? DEFAULT_MAX_HEAP_GROWTH)) {
    result.failures.push({
      index: -1,
      kind: "error",
      detail: `heap grew ${
        (growth / 1048576).toFixed(1)
      } MiB over ${result.cases} cases`,
      strategies: [],
      hex: "",
    });
  }
  return result;
}

/** Throw a readable report when a run has failures. */
export function assertClean(result: FuzzResult): void {
  if (result.failures.length === 0) return;
  const lines = result.failures.map((f) =>
    `  case ${f.index} [${
      f.strategies.join("+")
    }] ${f.kind}: ${f.detail}\n    input: ${f.hex}${
      f.file ? `\n    saved: ${f.file}` : ""
    }`
  );
  throw new Error(
    `fuzz target ${result.name} (seed ${result.seed}) failed ${result.failures.length}×:\n${
      lines.join("\n")
    }`,
  );
}

/** Feed `bytes` to `feed` in random-sized pieces (1..maxChunk bytes). */
export function feedInPieces(
  bytes: Uint8Array,
  random: Random,
  maxChunk: number,
  feed: (piece: Uint8Array) => void,
): void {
  for (let p = 0; p < bytes.length;) {
    const n = 1 + Math.floor(random() * maxChunk);
    feed(bytes.subarray(p, p + n));
    p += n;
  }
}

/** Concatenate byte arrays (seed building only; not a hot path). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
