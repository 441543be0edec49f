import assert from "node:assert/strict";
import { MAX_STREAM_KEY_PART_LENGTH, StreamKey } from "../../mod.ts";
import { assertCode } from "../_fakes.ts";

Deno.test("StreamKey.parse() accepts app/name and round-trips", () => {
  for (
    const text of [
      "live/cam",
      "app_1/stream-2.hd",
      "live/камера",
      "a/b~c+d@e=f",
    ]
  ) {
    const key = StreamKey.parse(text);
    assert.equal(key.toString(), text);
    assert.equal(JSON.stringify(key), JSON.stringify(text));
    assert.ok(key.equals(new StreamKey(key.app, key.name)));
  }
});

Deno.test("StreamKey refuses keys that could escape a storage path, are empty, too long or have control characters", () => {
  const bad = [
    "",
    "live",
    "/cam",
    "live/",
    "live/a/b",
    "../x",
    "live/..",
    "live/.hidden",
    ".live/cam",
    "live/a\\b",
    "live/a\u0000b",
    "live/a\nb",
    "live/a\tb",
    "live/a b",
    "live/a%2e",
    "live/a?x=1",
    "live/a#b",
    "live/a:b",
    `live/${"x".repeat(MAX_STREAM_KEY_PART_LENGTH + 1)}`,
    `${"x".repeat(MAX_STREAM_KEY_PART_LENGTH + 1)}/cam`,
    "live/\u202e",
    "live/a\u007f",
  ];
  for (const text of bad) {
    assertCode(() => StreamKey.parse(text), "InvalidInput");
  }
  assertCode(() => new StreamKey("live", ".."), "InvalidInput");
  assert.equal(
    new StreamKey("live", "x".repeat(MAX_STREAM_KEY_PART_LENGTH)).name.length,
    MAX_STREAM_KEY_PART_LENGTH,
  );
});
