/**
 * ABR ladders and derived stream names: {@linkcode parseLadder} (the CLI's
 * `--abr 720p,480p@800k,360p`), {@linkcode planLadder} (which renditions a
 * source gets: aspect ratio kept, never upscaled) and the naming of derived
 * streams, {@linkcode derivedKey} / {@linkcode parseDerivedKey}.
 *
 * Derived streams are named `{app}/{name}~{variant}`: renditions
 * `live/cam~480p`, audio bridges `live/cam~opus` (audio AAC → Opus, video
 * passed through) and `live/cam~aac` (Opus → AAC). `~` is allowed in a
 * `StreamKey` and never appears in a source name that the transcoder
 * touches: a key whose name holds `~` is itself derived and never
 * transcoded again.
 *
 * Data path: pure functions over strings and numbers; nothing is retained.
 *
 * @module
 */
import { StreamError } from "../media/stream_error.ts";

/**
 * One rung of an ABR ladder: an H.264 rendition of a given height.
 *
 * @example
 * ```ts
 * import type { RenditionSpec } from "@arcly/stream/transcode";
 * const rung: RenditionSpec = { name: "480p", height: 480, videoBitrate: 1_200_000 };
 * ```
 */
export interface RenditionSpec {
  /** Variant name used in the derived key (`live/cam~480p`). */
  readonly name: string;
  /** Output height in pixels (even); the width follows the source's aspect ratio. */
  readonly height: number;
  /** Target video bit rate in bits per second (default: {@linkcode defaultVideoBitrate}). */
  readonly videoBitrate?: number;
}

/**
 * A rendition planned for one source: its output size and bit rate.
 *
 * @example
 * ```ts
 * import { planLadder } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * const [rung] = planLadder(1280, 720, [{ name: "360p", height: 360 }]);
 * assert.equal(rung!.width, 640);
 * ```
 */
export interface PlannedRendition extends RenditionSpec {
  /** Output width in pixels (even, aspect ratio of the source kept). */
  readonly width: number;
  /** Target video bit rate in bits per second. */
  readonly videoBitrate: number;
}

/** Highest rendition height accepted (8K). */
const MAX_HEIGHT = 4320;
/** Longest ladder. */
const MAX_RUNGS = 8;

/**
 * The default video bit rate for a height: about 0.1 bit per pixel at 30 fps
 * for 16:9 (720p → 2.8 Mbit/s, 480p → 1.2 Mbit/s, 360p → 700 kbit/s).
 *
 * @param height output height in pixels
 * @returns bits per second
 *
 * @example
 * ```ts
 * import { defaultVideoBitrate } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.equal(defaultVideoBitrate(480), 1_200_000);
 * ```
 */
export function defaultVideoBitrate(height: number): number {
  const width = Math.round(height * 16 / 9);
  return Math.round(width * height * 30 * 0.1 / 100_000) * 100_000 ||
    100_000;
}

/**
 * Parse a ladder: comma-separated `HEIGHTp` or `HEIGHTp@BITRATE` where
 * BITRATE is bits per second with an optional `k`/`M` suffix
 * (`720p,480p@800k,360p`).
 *
 * @param text the ladder
 * @returns the rungs, highest first, without duplicates
 * @throws {StreamError} `InvalidInput` for a malformed or out-of-range rung
 *
 * @example
 * ```ts
 * import { parseLadder } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseLadder("360p,480p@800k"), [
 *   { name: "480p", height: 480, videoBitrate: 800_000 },
 *   { name: "360p", height: 360 },
 * ]);
 * ```
 */
export function parseLadder(text: string): RenditionSpec[] {
  const rungs = new Map<number, RenditionSpec>();
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{2,4})p(?:@(\d+(?:\.\d+)?)([kKmM]?))?$/.exec(part);
    if (!m) {
      throw new StreamError(
        "InvalidInput",
        `Cannot parse ABR rung "${part}": expected HEIGHTp or HEIGHTp@BITRATE (e.g. 480p@800k)`,
      );
    }
    const height = Number(m[1]);
    if (height < 64 || height > MAX_HEIGHT || height % 2 !== 0) {
      throw new StreamError(
        "InvalidInput",
        `Cannot parse ABR rung "${part}": height must be even, 64..${MAX_HEIGHT}`,
      );
    }
    let spec: RenditionSpec = { name: `${height}p`, height };
    if (m[2] !== undefined) {
      const unit = { k: 1e3, m: 1e6 }[m[3]!.toLowerCase()] ?? 1;
      const videoBitrate = Math.round(Number(m[2]) * unit);
      if (videoBitrate < 10_000 || videoBitrate > 100_000_000) {
        throw new StreamError(
          "InvalidInput",
          `Cannot parse ABR rung "${part}": bit rate must be 10k..100M`,
        );
      }
      spec = { ...spec, videoBitrate };
    }
    rungs.set(height, spec);
  }
  if (rungs.size === 0 || rungs.size > MAX_RUNGS) {
    throw new StreamError(
      "InvalidInput",
      `Cannot parse ABR ladder "${text}": expected 1..${MAX_RUNGS} rungs`,
    );
  }
  return [...rungs.values()].sort((a, b) => b.height - a.height);
}

/**
 * The renditions a `width`×`height` source gets from `ladder`: rungs at or
 * above the source height are left out (the source itself is the top
 * rendition, and nothing is upscaled); widths keep the aspect ratio, rounded
 * to even.
 *
 * @param width source width in pixels
 * @param height source height in pixels
 * @param ladder the configured rungs
 * @returns the planned renditions, highest first
 *
 * @example A 720p source and a 1080p/480p ladder
 * ```ts
 * import { planLadder } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * const plan = planLadder(1280, 720, [{ name: "1080p", height: 1080 }, { name: "480p", height: 480 }]);
 * assert.deepEqual(plan.map((r) => `${r.width}x${r.height}`), ["854x480"]);
 * ```
 */
export function planLadder(
  width: number,
  height: number,
  ladder: readonly RenditionSpec[],
): PlannedRendition[] {
  if (!(width > 0 && height > 0)) return [];
  return ladder
    .filter((rung) => rung.height < height)
    .map((rung) => ({
      ...rung,
      width: Math.max(2, Math.round(width * rung.height / height / 2) * 2),
      videoBitrate: rung.videoBitrate ?? defaultVideoBitrate(rung.height),
    }))
    .sort((a, b) => b.height - a.height);
}

/**
 * The separator between a source name and a variant in a derived key.
 *
 * @example
 * ```ts
 * import { DERIVED_SEPARATOR } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.equal(`live/cam${DERIVED_SEPARATOR}480p`, "live/cam~480p");
 * ```
 */
export const DERIVED_SEPARATOR: string = "~";

/**
 * The key of a derived stream: `{app}/{name}~{variant}`.
 *
 * @param source the source key (`live/cam`)
 * @param variant the variant (`480p`, `opus`, `aac`)
 * @returns `live/cam~480p`
 *
 * @example
 * ```ts
 * import { derivedKey } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.equal(derivedKey("live/cam", "opus"), "live/cam~opus");
 * ```
 */
export function derivedKey(source: string, variant: string): string {
  return `${source}${DERIVED_SEPARATOR}${variant}`;
}

/**
 * Split a derived key into its source and variant, or `null` for a source key.
 *
 * @param key a stream key (`live/cam~480p`)
 * @returns `{ source: "live/cam", variant: "480p" }` or null
 *
 * @example
 * ```ts
 * import { parseDerivedKey } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseDerivedKey("live/cam~480p"), { source: "live/cam", variant: "480p" });
 * assert.equal(parseDerivedKey("live/cam"), null);
 * ```
 */
export function parseDerivedKey(
  key: string,
): { source: string; variant: string } | null {
  const slash = key.indexOf("/");
  const at = key.indexOf(DERIVED_SEPARATOR, slash + 1);
  if (slash < 0 || at < 0) return null;
  const variant = key.slice(at + 1);
  if (variant.length === 0 || variant.includes(DERIVED_SEPARATOR)) return null;
  return { source: key.slice(0, at), variant };
}
