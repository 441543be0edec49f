/**
 * Request authentication for the server: Credentials
 * `{ protocol, token, query, remoteAddr }` where `token` is the password of
 * a Basic or (verified, unexpired nonce) Digest `Authorization`, and the
 * 401/403 answer of a refusal (Digest offered first when a password lookup
 * is configured, then Basic).
 *
 * @module
 */
import type { Credentials } from "../../src/auth.ts";
import { UnauthorizedError } from "../../src/errors.ts";
import {
  type RtspHeaders,
  RtspProtocolError,
  type RtspRequest,
} from "./message.ts";
import { type NonceIssuer, parseAuthorization, verifyDigest } from "./auth.ts";
import type { Target } from "./_server_target.ts";

/** What authentication needs from the server. */
export interface AuthContext {
  name: string;
  realm: string;
  nonces: NonceIssuer;
  digestPassword:
    | ((username: string) => string | undefined | Promise<string | undefined>)
    | undefined;
}

/** The credentials a request presents (see the module doc). */
export async function credentialsOf(
  ctx: AuthContext,
  remoteAddr: string,
  req: RtspRequest,
  target: Target,
): Promise<Credentials> {
  const credentials: Credentials = {
    protocol: ctx.name,
    remoteAddr: remoteAddr,
    query: target.query,
  };
  const auth = parseAuthorization(req.headers.get("authorization"));
  if (auth?.scheme === "basic") credentials.token = auth.password;
  else if (auth?.scheme === "digest" && ctx.digestPassword) {
    const password = await ctx.digestPassword(auth.username);
    const nonce = auth.params.nonce ?? "";
    if (
      password !== undefined && ctx.nonces.check(nonce) === "ok" &&
      auth.params.realm === ctx.realm &&
      verifyDigest(auth, password, req.method)
    ) credentials.token = password;
  }
  return credentials;
}

/** Run an authorization; a refusal becomes 401 (with challenges) or 403. */
export async function authorized<T>(
  ctx: AuthContext,
  headers: RtspHeaders,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    if (!error.challenge) throw new RtspProtocolError(403, error.message);
    if (ctx.digestPassword) {
      headers.append(
        "WWW-Authenticate",
        `Digest realm="${ctx.realm}", nonce="${ctx.nonces.issue()}", algorithm=MD5`,
      );
    }
    headers.append("WWW-Authenticate", `Basic realm="${ctx.realm}"`);
    throw new RtspProtocolError(401, error.message);
  }
}
