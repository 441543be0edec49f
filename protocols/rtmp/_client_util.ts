// Private helpers of RtmpClient: onStatus inspection, refusal → StreamError
// code mapping, and promise time limits.
import type { Amf0Value } from "../../media/flv/mod.ts";
import { StreamError, type StreamErrorCode } from "../../media/stream_error.ts";

const STREAM_ERROR_CODES: ReadonlySet<string> = new Set<StreamErrorCode>([
  "Unauthorized",
  "NotFound",
  "AlreadyPublishing",
  "Lagged",
  "Evicted",
  "LimitExceeded",
  "InvalidInput",
  "Closed",
  "Timeout",
  "Unsupported",
  "Storage",
  "Protocol",
]);

export function isStatus(info: Amf0Value, code: string): boolean {
  return info !== null && typeof info === "object" &&
    (info as Record<string, Amf0Value>).code === code;
}

export function describe(info: Amf0Value): string {
  if (info !== null && typeof info === "object") {
    const r = info as Record<string, Amf0Value>;
    return `${String(r.code)}: ${String(r.description)}`;
  }
  return String(info);
}

export function refusal(
  action: string,
  name: string,
  info: Amf0Value,
): StreamError {
  const text = describe(info);
  const description = info !== null && typeof info === "object"
    ? String((info as Record<string, Amf0Value>).description)
    : "";
  // our server prefixes the kernel's error code; others get a best guess
  const exact = /^([A-Za-z]+): /.exec(description)?.[1];
  if (exact !== undefined && STREAM_ERROR_CODES.has(exact)) {
    return new StreamError(
      exact as StreamErrorCode,
      `Cannot ${action} ${name}: server answered ${text}`,
    );
  }
  const code = /NotFound/.test(text)
    ? "NotFound"
    : /BadName|Busy/i.test(text)
    ? "AlreadyPublishing"
    : /Denied|Unauthori|Forbidden|Failed/i.test(text)
    ? "Unauthorized"
    : "Protocol";
  return new StreamError(
    code,
    `Cannot ${action} ${name}: server answered ${text}`,
  );
}

export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StreamError(
            "Timeout",
            `Cannot ${what}: no answer within ${ms} ms`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
