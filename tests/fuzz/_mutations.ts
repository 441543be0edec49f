// Mutation strategies of the fuzz harness (tests/fuzz/_harness.ts): a seeded
// PRNG (mulberry32) and the ways a seed is turned into a case — bit flips,
// interesting byte values, truncation, extension, splices of two seeds,
// length-field inflation, duplicated slices, random bytes, deleted ranges.
// A case is a pure function of (seeds, run seed, case index): replayCase().

/** A seeded uniform random source in [0, 1). */
export type Random = () => number;

/** mulberry32: a tiny seedable PRNG, good enough for mutation choices. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Largest input the mutator builds: bounds memory per case. */
export const MAX_INPUT_BYTES = 256 * 1024;

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe] as const;

/** The mutation strategies, by name (reported in failures). */
export const STRATEGIES = [
  "bitFlip",
  "interestingByte",
  "truncate",
  "extend",
  "splice",
  "inflateLength",
  "duplicateSlice",
  "randomBytes",
  "deleteRange",
] as const;

/** One mutation strategy name. */
export type Strategy = typeof STRATEGIES[number];

function int(random: Random, n: number): number {
  return Math.floor(random() * n);
}

function randomBytes(random: Random, max: number): Uint8Array {
  const out = new Uint8Array(int(random, max + 1));
  for (let i = 0; i < out.length; i++) out[i] = int(random, 256);
  return out;
}

/** Apply one strategy to `input` (never in place); `other` feeds splices. */
export function applyStrategy(
  strategy: Strategy,
  input: Uint8Array,
  other: Uint8Array,
  random: Random,
): Uint8Array {
  const n = input.length;
  switch (strategy) {
    case "bitFlip": {
      const out = input.slice();
      for (let k = 1 + int(random, 8); k > 0 && n > 0; k--) {
        out[int(random, n)]! ^= 1 << int(random, 8);
      }
      return out;
    }
    case "interestingByte": {
      const out = input.slice();
      for (let k = 1 + int(random, 4); k > 0 && n > 0; k--) {
        out[int(random, n)] = INTERESTING[int(random, INTERESTING.length)]!;
      }
      return out;
    }
    case "truncate":
      return input.subarray(0, int(random, n + 1));
    case "extend": {
      const tail = randomBytes(random, 64);
      const out = new Uint8Array(n + tail.length);
      out.set(input);
      out.set(tail, n);
      return out;
    }
    case "splice": {
      const cut = int(random, n + 1);
      const from = int(random, other.length + 1);
      const rest = other.subarray(from);
      const out = new Uint8Array(cut + rest.length);
      out.set(input.subarray(0, cut));
      out.set(rest, cut);
      return out;
    }
    case "inflateLength": {
      // Write a huge length (32/24/16-bit, big or little endian) somewhere:
      // the classic way to make a parser allocate or loop on a bogus size.
      const out = input.slice();
      if (n === 0) return out;
      const at = int(random, n);
      const width = [4, 3, 2][int(random, 3)]!;
      const huge = random() < 0.5 ? 0xffffffff : 0x7fffffff - int(random, 16);
      const little = random() < 0.25;
      for (let i = 0; i < width && at + i < n; i++) {
        const shift = 8 * (little ? i : width - 1 - i);
        out[at + i] = (huge >>> shift) & 0xff;
      }
      return out;
    }
    case "duplicateSlice": {
      const start = int(random, n + 1);
      const len = Math.min(int(random, 256), n - start);
      const copies = 1 + int(random, 4);
      const at = int(random, n + 1);
      const out = new Uint8Array(n + len * copies);
      out.set(input.subarray(0, at));
      for (let c = 0; c < copies; c++) {
        out.set(input.subarray(start, start + len), at + c * len);
      }
      out.set(input.subarray(at), at + len * copies);
      return out;
    }
    case "randomBytes":
      return randomBytes(random, 128);
    case "deleteRange": {
      const at = int(random, n + 1);
      const len = Math.min(1 + int(random, 16), n - at);
      const out = new Uint8Array(n - len);
      out.set(input.subarray(0, at));
      out.set(input.subarray(at + len), at);
      return out;
    }
  }
}

/** A mutated input and the strategies that made it. */
export interface Mutation {
  /** The bytes to feed. */
  input: Uint8Array;
  /** Strategies applied, in order ("seed" when the seed is fed as is). */
  strategies: string[];
}

/** Build case `index` of a run from its seeds: 1–4 stacked mutations (or the seed itself every 64th case). */
export function mutate(
  seeds: readonly Uint8Array[],
  random: Random,
  index: number,
): Mutation {
  const base = seeds.length === 0
    ? new Uint8Array(0)
    : seeds[int(random, seeds.length)]!;
  if (index % 64 === 0) return { input: base, strategies: ["seed"] };
  const other = seeds.length === 0 ? base : seeds[int(random, seeds.length)]!;
  let input = base;
  const strategies: string[] = [];
  for (let k = 1 + int(random, 4); k > 0; k--) {
    const strategy = STRATEGIES[int(random, STRATEGIES.length)]!;
    input = applyStrategy(strategy, input, other, random);
    strategies.push(strategy);
    if (input.length > MAX_INPUT_BYTES) {
      input = input.subarray(0, MAX_INPUT_BYTES);
    }
  }
  return { input, strategies };
}

/** The per-case random source: derived from the run seed and the case index so one case replays alone. */
export function caseRandom(seed: number, index: number): Random {
  return mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

/** Rebuild the input of case `index` of a run (for replaying a reported failure). */
export function replayCase(
  seeds: readonly Uint8Array[],
  seed: number,
  index: number,
): Mutation {
  return mutate(seeds, caseRandom(seed, index), index);
}
