/**
 * The arcly-stream origin as a command: RTMP in; HLS, LL-HLS, HTTP-FLV,
 * WebSocket-FLV, stats, metrics and a dashboard out. Run `--help` for flags.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write=./hls jsr:@arcly/stream/cli --demo
 * ```
 *
 * Ctrl-C (SIGINT) or SIGTERM shuts down gracefully: streams end, playlists get
 * `EXT-X-ENDLIST`, recordings are finalised.
 *
 * @module
 */
import { parseOriginArgs, USAGE, UsageError } from "./cli/options.ts";
import { startOrigin } from "./cli/origin.ts";
import { parseSignArgs, SIGN_USAGE, signedUrlFor } from "./cli/sign.ts";

/**
 * Run the CLI with `args`; resolves with the process exit code.
 *
 * @example
 * ```ts ignore
 * import { main } from "@arcly/stream/cli";
 * Deno.exit(await main(["--http", "127.0.0.1:8000"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const envSecret = (): string | undefined => {
    try {
      return Deno.env.get("ARCLY_SIGN_SECRET");
    } catch {
      return undefined; // no --allow-env: only --secret counts
    }
  };
  const out = (line: string): void =>
    void Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
  const err = (line: string): void =>
    void Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
  // `deno task start -- --flag` passes the `--` through: accept it.
  if (args[0] === "--") args = args.slice(1);
  if (args[0] === "sign") {
    try {
      out(signedUrlFor(parseSignArgs(args.slice(1), envSecret), Date.now()));
      return 0;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      err(`error: ${error.message}\n\n${SIGN_USAGE}`);
      return 2;
    }
  }
  let options;
  try {
    options = parseOriginArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    out(USAGE);
    return 0;
  }
  let origin;
  try {
    origin = await startOrigin(options, out);
  } catch (error) {
    err(`error: ${(error as Error).message}`);
    return 1;
  }
  const stop = (): void => {
    out("shutting down…");
    void origin.stop();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  await origin.finished;
  for (const s of signals) Deno.removeSignalListener(s, stop);
  out("stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
