// Argument checks shared by the storage backends (not exported from mod.ts).
import { StreamError } from "../stream_error.ts";
import { validateStorageKey } from "./storage_backend.ts";

/** Check a `getRange` request. */
export function checkRange(start: number, endExclusive: number): void {
  if (
    !Number.isSafeInteger(start) || !Number.isSafeInteger(endExclusive) ||
    start < 0 || endExclusive < start
  ) {
    throw new StreamError(
      "InvalidInput",
      `Cannot read range [${start}, ${endExclusive}): bounds must be integers with 0 <= start <= end`,
    );
  }
}

/**
 * Check a `list` prefix: empty, or a string whose complete segments form a
 * valid key and whose trailing partial segment has no forbidden character.
 */
export function checkPrefix(prefix: string): void {
  if (prefix === "") return;
  const slash = prefix.lastIndexOf("/");
  if (slash >= 0) validateStorageKey(prefix.slice(0, slash) || "/");
  const tail = prefix.slice(slash + 1);
  // "." and ".." are valid beginnings of names like ".hidden" or "..x".
  if (tail !== "" && tail !== "." && tail !== "..") validateStorageKey(tail);
}

/** Wrap a platform error as a `Storage` StreamError. */
export function storageError(
  action: string,
  key: string,
  cause: unknown,
): StreamError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new StreamError("Storage", `Cannot ${action} ${key}: ${why}`, {
    cause,
  });
}
