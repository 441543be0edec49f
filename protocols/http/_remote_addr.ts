// The peer address of a request, when the app runs under Deno.serve (which
// passes its ServeHandlerInfo as Hono's `env`). Undefined under app.request()
// or when mounted in a host that passes something else.
import type { Context } from "hono";

export function remoteAddrOf(c: Context): string | undefined {
  const env: unknown = c.env;
  if (typeof env !== "object" || env === null || !("remoteAddr" in env)) {
    return undefined;
  }
  const addr: unknown = env.remoteAddr;
  if (typeof addr === "object" && addr !== null && "hostname" in addr) {
    return String(addr.hostname);
  }
  return undefined;
}
