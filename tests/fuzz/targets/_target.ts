// What a fuzz target module exports: a name, real-capture seeds, and a
// prepare() that builds the runner (and any fixture it needs, closed after).
import type { Random } from "../_harness.ts";

/** A runner for one target: feed one input; only StreamError may escape. */
export interface PreparedTarget {
  /** Feed one input. */
  run(input: Uint8Array, random: Random): void | Promise<void>;
  /** Release fixtures (servers, temp dirs). */
  close?(): Promise<void>;
}

/** One fuzz target. */
export interface FuzzTargetDef {
  /** Unique name ("area.function"). */
  name: string;
  /** Seed inputs. */
  seeds: Uint8Array[];
  /** Short-mode case count when 2,000 is too slow (HTTP round trips). */
  shortCases?: number;
  /** Build the runner. */
  prepare(): PreparedTarget | Promise<PreparedTarget>;
}

/** A target with no fixture. */
export function simple(
  name: string,
  seeds: Uint8Array[],
  run: (input: Uint8Array, random: Random) => unknown,
): FuzzTargetDef {
  return {
    name,
    seeds,
    prepare: () => ({
      run(input, random) {
        run(input, random);
      },
    }),
  };
}

/** Read a corpus or testdata file relative to tests/. */
export function readTestFile(path: string): Uint8Array {
  return Deno.readFileSync(new URL(`../../${path}`, import.meta.url));
}
