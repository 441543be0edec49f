// Option validation shared by the admission-control classes.
import { StreamError } from "../media/stream_error.ts";

/**
 * `value` if it is a finite number ≥ `min`.
 *
 * @param what what is being created ("rate limiter", "connection gate")
 * @throws {StreamError} `InvalidInput` naming the option otherwise
 */
export function positiveOption(
  what: string,
  value: number,
  name: string,
  min: number,
): number {
  if (!Number.isFinite(value) || value < min) {
    throw new StreamError(
      "InvalidInput",
      `Cannot create ${what}: ${name} must be a number ≥ ${min}, got ${value}`,
    );
  }
  return value;
}
