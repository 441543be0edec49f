/**
 * {@linkcode StreamKey}: the validated `app/name` address of a live stream.
 *
 * A key is used as a storage path prefix (`{app}/{name}/index.m3u8`), a map
 * key and a URL segment, so it is validated once, at construction: each part
 * is 1 to {@linkcode MAX_STREAM_KEY_PART_LENGTH} characters of letters,
 * digits and `_ - . ~ + @ =`, never starting with a dot (no `..`, no hidden
 * files, no `/`, `\`, NUL, control characters or whitespace). Anything else
 * is refused with a `StreamError` of code `InvalidInput`.
 *
 * @module
 */
import { StreamError } from "../media/stream_error.ts";

/**
 * Longest app or name part. Keys become file names and URL segments; 128 is
 * well under every file system's 255-byte name limit even in UTF-8.
 *
 * @example Read the limit
 * ```ts
 * import { MAX_STREAM_KEY_PART_LENGTH } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.equal(MAX_STREAM_KEY_PART_LENGTH, 128);
 * ```
 */
export const MAX_STREAM_KEY_PART_LENGTH = 128;

// Letters and digits of any script plus a few URL- and path-safe marks.
const PART_PATTERN = /^[\p{L}\p{N}_\-.~+@=]+$/u;

function checkPart(kind: string, value: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new StreamError(
      "InvalidInput",
      `Cannot build stream key: the ${kind} is empty`,
    );
  }
  if (value.length > MAX_STREAM_KEY_PART_LENGTH) {
    throw new StreamError(
      "InvalidInput",
      `Cannot build stream key: the ${kind} is ${value.length} characters, over ${MAX_STREAM_KEY_PART_LENGTH}`,
    );
  }
  if (!PART_PATTERN.test(value)) {
    throw new StreamError(
      "InvalidInput",
      `Cannot build stream key: the ${kind} ${
        JSON.stringify(value)
      } has a character outside letters, digits and _-.~+@=`,
    );
  }
  if (value.startsWith(".")) {
    throw new StreamError(
      "InvalidInput",
      `Cannot build stream key: the ${kind} ${
        JSON.stringify(value)
      } starts with a dot`,
    );
  }
}

/**
 * An `app/name` pair naming one live stream. Immutable and validated.
 *
 * @example Parse, compare and refuse a path escape
 * ```ts
 * import { StreamError, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const key = StreamKey.parse("live/cam");
 * assert.equal(key.app, "live");
 * assert.equal(key.name, "cam");
 * assert.equal(key.toString(), "live/cam");
 * assert.ok(key.equals(new StreamKey("live", "cam")));
 * assert.equal(key.derive("720p").toString(), "live/cam~720p");
 * assert.equal(StreamKey.parse("live/cam~opus").variant, "opus");
 * assert.equal(StreamKey.parse("live/cam~opus").base.toString(), "live/cam");
 * assert.throws(
 *   () => StreamKey.parse("live/../etc"),
 *   (e) => e instanceof StreamError && e.code === "InvalidInput",
 * );
 * ```
 */
export class StreamKey {
  /** The application (a configured `AppSpec` name). */
  readonly app: string;
  /** The stream name within the application. */
  readonly name: string;

  /**
   * Create it.
   *
   * @param app application part
   * @param name stream name part
   * @throws {StreamError} `InvalidInput` when a part is empty, too long, or unsafe
   */
  constructor(app: string, name: string) {
    checkPart("app", app);
    checkPart("name", name);
    this.app = app;
    this.name = name;
  }

  /**
   * Parse `"app/name"` (exactly one slash).
   *
   * @throws {StreamError} `InvalidInput` when the text is not a safe key
   */
  static parse(text: string): StreamKey {
    const slash = typeof text === "string" ? text.indexOf("/") : -1;
    if (slash < 0) {
      throw new StreamError(
        "InvalidInput",
        `Cannot parse stream key: ${
          JSON.stringify(String(text)).slice(0, 300)
        } is not "app/name"`,
      );
    }
    return new StreamKey(text.slice(0, slash), text.slice(slash + 1));
  }

  /**
   * The derived key `{app}/{name}~{variant}` (a rendition, an audio bridge:
   * `live/cam~720p`, `live/cam~opus`), published by a pipeline or an
   * on-demand source beside this stream.
   *
   * @param variant the variant (same characters as a name, no `~`)
   * @returns the derived key
   * @throws {StreamError} `InvalidInput` for an empty or unsafe variant, or one with `~`
   */
  derive(variant: string): StreamKey {
    if (variant.includes("~")) {
      throw new StreamError(
        "InvalidInput",
        `Cannot derive a stream key from ${this}: variant ${
          JSON.stringify(variant).slice(0, 100)
        } contains ~`,
      );
    }
    return new StreamKey(this.app, `${this.base.name}~${variant}`);
  }

  /** The variant of a derived key (`live/cam~720p` → `"720p"`), else undefined. */
  get variant(): string | undefined {
    const at = this.name.indexOf("~");
    return at < 0 ? undefined : this.name.slice(at + 1);
  }

  /** The key without its variant (`live/cam~720p` → `live/cam`; itself when not derived). */
  get base(): StreamKey {
    const at = this.name.indexOf("~");
    return at <= 0 ? this : new StreamKey(this.app, this.name.slice(0, at));
  }

  /** True when both parts are equal. */
  equals(other: StreamKey): boolean {
    return this.app === other.app && this.name === other.name;
  }

  /** `"app/name"`. */
  toString(): string {
    return `${this.app}/${this.name}`;
  }

  /** `"app/name"` (so keys serialize as strings). */
  toJSON(): string {
    return this.toString();
  }
}
