// The one authorization path: ask the authenticator, audit the outcome, and
// throw UnauthorizedError on refusal. An authenticator that throws is a
// refusal (fail closed).
import type { AuditSink } from "./audit.ts";
import type { AuthAction, Credentials, StreamAuthenticator } from "./auth.ts";
import type { Clock } from "./clock.ts";
import { UnauthorizedError } from "./errors.ts";
import type { StreamKey } from "./stream_key.ts";

export async function authorizeOrThrow(
  auth: StreamAuthenticator,
  audit: AuditSink,
  clock: Clock,
  request: { action: AuthAction; key: StreamKey; credentials: Credentials },
): Promise<void> {
  const { action, key, credentials } = request;
  const base = {
    action,
    key: key.toString(),
    protocol: credentials.protocol,
    remoteAddr: credentials.remoteAddr,
  };
  let reason: string;
  let challenge = false;
  let cause: unknown;
  try {
    const decision = await auth.authorize({ action, key, credentials });
    if (decision.allowed === true) {
      audit.record({ ...base, type: "authGranted", at: clock.now() });
      return;
    }
    reason = String(decision.reason);
    challenge = decision.challenge === true;
  } catch (error) {
    reason = "authenticator failed";
    cause = error;
  }
  audit.record({ ...base, type: "authRefused", at: clock.now(), reason });
  throw new UnauthorizedError(
    reason,
    challenge,
    `Cannot ${action} ${key}: ${reason}`,
    cause,
  );
}
