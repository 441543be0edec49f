// Private helpers shared by the RTMP session and client: stream-name parsing
// and NetStream onStatus messages (RTMP §7.2.2).
import type { Amf0Value } from "../../media/flv/mod.ts";
import { commandMessage, MEDIA_STREAM_ID } from "./messages.ts";

/** Decoded AMF0 values of one command message. */
export type CommandValues = readonly Amf0Value[];

/** Split `"key?token=abc"` into the name and its query. */
export function parseStreamName(
  raw: string,
): { name: string; query: URLSearchParams } {
  const q = raw.indexOf("?");
  if (q < 0) return { name: raw, query: new URLSearchParams() };
  return {
    name: raw.slice(0, q),
    query: new URLSearchParams(raw.slice(q + 1)),
  };
}

/** An `onStatus` command on the media stream. */
export function statusMessage(
  level: "status" | "error" | "warning",
  code: string,
  description: string,
  chunkSize: number,
): Uint8Array {
  return commandMessage(["onStatus", 0, null, { level, code, description }], {
    streamId: MEDIA_STREAM_ID,
    chunkSize,
  });
}

/** Read a property of an AMF0 object-like value. */
export function propertyOf(value: Amf0Value, key: string): Amf0Value {
  if (
    value === null || typeof value !== "object" || Array.isArray(value) ||
    value instanceof Date
  ) return undefined;
  const bag = "properties" in value && typeof value.properties === "object"
    ? value.properties as Record<string, Amf0Value>
    : value as Record<string, Amf0Value>;
  return bag[key];
}
