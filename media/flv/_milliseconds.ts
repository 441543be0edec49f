/**
 * Timescale conversion to FLV milliseconds, exact per timestamp (never by
 * adding durations) and overflow-safe: the whole seconds and the remainder are
 * scaled separately, so `ticks * 1000` never leaves the safe-integer range.
 *
 * @module
 */

/**
 * Convert `ticks` of `timescale` per second to whole milliseconds.
 *
 * @param ticks an integer timestamp
 * @param timescale ticks per second
 * @returns `round(ticks * 1000 / timescale)`
 */
export function toMilliseconds(ticks: number, timescale: number): number {
  if (timescale === 1000) return ticks;
  const whole = Math.floor(ticks / timescale);
  return whole * 1000 +
    Math.round((ticks - whole * timescale) * 1000 / timescale);
}
