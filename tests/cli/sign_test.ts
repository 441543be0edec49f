import assert from "node:assert/strict";
import { main } from "../../cli.ts";
import { parseSignArgs, signedUrlFor } from "../../cli/sign.ts";
import { UsageError } from "../../cli/options.ts";
import { SignedUrlAuthenticator, StreamKey } from "../../mod.ts";

Deno.test("sign: the URL it prints is accepted by the origin's SignedUrlAuthenticator", async () => {
  const secret = "s3cret-key-for-tests";
  const request = parseSignArgs([
    "live/cam",
    "--secret",
    secret,
    "--action",
    "publish",
    "--ttl",
    "60",
    "--base",
    "rtmp://h:1935/live/cam",
  ]);
  const now = 1_700_000_000_000;
  const url = new URL(signedUrlFor(request, now));
  assert.equal(url.searchParams.get("expires"), String(now / 1000 + 60));
  const auth = new SignedUrlAuthenticator({
    secret,
    now: () => now + 1000,
  });
  const ok = await auth.authorize({
    action: "publish",
    key: StreamKey.parse("live/cam"),
    credentials: { protocol: "rtmp", query: url.searchParams },
  });
  assert.equal(ok.allowed, true);
  const asPlay = await auth.authorize({
    action: "play",
    key: StreamKey.parse("live/cam"),
    credentials: { protocol: "rtmp", query: url.searchParams },
  });
  assert.equal(asPlay.allowed, false);
});

Deno.test("sign: refuses a missing secret, a bad key and a bad ttl with a UsageError", () => {
  assert.throws(() => parseSignArgs(["live/cam"]), UsageError);
  assert.throws(() => parseSignArgs(["nokey", "--secret", "x"]), UsageError);
  assert.throws(
    () => parseSignArgs(["live/cam", "--secret", "x", "--ttl", "-1"]),
    UsageError,
  );
  assert.equal(
    parseSignArgs(["live/cam"], () => "from-env").secret,
    "from-env",
  );
});

Deno.test("cli: a leading `--` (as `deno task start -- …` passes it) is accepted", async () => {
  assert.equal(await main(["--", "--help"]), 0);
});
