// Private: parsing of NetConnection/NetStream command arguments (RTMP §7.2.1,
// §7.2.2) and the answers to calls that need no state, for RtmpSession.
import type { Amf0Value } from "../../media/flv/mod.ts";
import { commandMessage, MEDIA_STREAM_ID } from "./messages.ts";
import {
  type CommandValues,
  parseStreamName,
  propertyOf,
} from "./_session_util.ts";

/** What the session does with a command name. */
export type CommandKind =
  | "connect"
  | "publish"
  | "play"
  | "stop"
  | "answered"
  | "ignored";

const STOP = new Set(["FCUnpublish", "deleteStream", "closeStream"]);
const IGNORED = new Set([
  "receiveAudio",
  "receiveVideo",
  "pause",
  "seek",
  "_result",
  "_error",
  "onBWDone",
  "onStatus",
]);
const NO_OPS = new Set([
  "releaseStream",
  "FCPublish",
  "FCSubscribe",
  "_checkbw",
  "checkBandwidth",
]);

/** Classify a command name. */
export function commandKind(name: string): CommandKind {
  if (name === "connect" || name === "publish" || name === "play") return name;
  if (STOP.has(name)) return "stop";
  if (IGNORED.has(name)) return "ignored";
  return "answered";
}

/**
 * The answer to a stateless call: createStream → stream 1, getStreamLength →
 * 0, FMS no-ops → null result, anything else → `_error` Call.Failed. A call
 * with transaction id 0 expects no answer.
 */
export function statelessAnswer(
  name: string,
  txId: number,
  chunkSize: number,
): Uint8Array | null {
  let values: Amf0Value[];
  if (name === "createStream") {
    values = ["_result", txId, null, MEDIA_STREAM_ID];
  } else if (name === "getStreamLength") values = ["_result", txId, null, 0];
  else if (txId === 0) return null;
  else if (NO_OPS.has(name)) values = ["_result", txId, null, undefined];
  else {
    values = ["_error", txId, null, {
      level: "error",
      code: "NetConnection.Call.Failed",
      description: `Method ${name.slice(0, 64)} is not supported`,
    }];
  }
  return commandMessage(values, { chunkSize });
}

/** The connect command object: app (query stripped), tcUrl, merged query. */
export function parseConnect(
  object: Amf0Value,
): { app: string; tcUrl: string; query: URLSearchParams } {
  const appValue = propertyOf(object, "app");
  const tcValue = propertyOf(object, "tcUrl");
  const rawApp = typeof appValue === "string" ? appValue : "";
  const tcUrl = typeof tcValue === "string" ? tcValue : "";
  const { name: app, query } = parseStreamName(rawApp.replace(/\/+$/, ""));
  const tcQuery = tcUrl.indexOf("?");
  if (tcQuery >= 0) {
    for (const [k, v] of new URLSearchParams(tcUrl.slice(tcQuery + 1))) {
      if (!query.has(k)) query.append(k, v);
    }
  }
  return { app, tcUrl, query };
}

/** publish(name, type) arguments. */
export function parsePublish(
  values: CommandValues,
): { name: string; query: URLSearchParams; publishType: string } {
  const raw = typeof values[3] === "string" ? values[3] : "";
  return {
    ...parseStreamName(raw),
    publishType: typeof values[4] === "string" ? values[4] : "live",
  };
}

/** play(name, start, duration, reset) arguments, with the spec defaults. */
export function parsePlay(values: CommandValues): {
  name: string;
  query: URLSearchParams;
  start: number;
  duration: number;
  reset: boolean;
} {
  const raw = typeof values[3] === "string" ? values[3] : "";
  return {
    ...parseStreamName(raw),
    start: typeof values[4] === "number" ? values[4] : -2,
    duration: typeof values[5] === "number" ? values[5] : -1,
    reset: typeof values[6] === "boolean" ? values[6] : true,
  };
}
