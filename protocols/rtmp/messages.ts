/**
 * RTMP message type ids, chunk stream ids and builders for protocol control,
 * user control and AMF0 command messages (each returns ready chunk bytes).
 *
 * Specification: Adobe RTMP 1.0 §5.4 (protocol control messages 1, 2, 3, 5,
 * 6), §6.2 / §7.1.7 (user control events), §7.1.1 and §7.2 (command
 * messages, type 20 AMF0).
 *
 * Every builder sizes its output first and allocates once.
 *
 * @module
 */
import { type Amf0Value, encodeAmf0 } from "../../media/flv/mod.ts";
import { writeChunks } from "./chunk_writer.ts";

/**
 * RTMP message type ids (RTMP §5.4, §7.1).
 *
 * @example
 * ```ts
 * import { MessageType } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(MessageType.Video, 9);
 * ```
 */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

/**
 * User control event types (RTMP §7.1.7).
 *
 * @example
 * ```ts
 * import { UserControlEvent } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(UserControlEvent.PingRequest, 6);
 * ```
 */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

/**
 * The chunk stream ids this library sends on (the ones ffmpeg uses too).
 *
 * @example
 * ```ts
 * import { ChunkStreamId } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(ChunkStreamId.Control, 2);
 * ```
 */
export const ChunkStreamId = {
  Control: 2,
  Command: 3,
  Audio: 4,
  Data: 5,
  Video: 6,
} as const;

/**
 * The message stream id used for every published or played stream: one id
 * for all players keeps media chunk bytes shareable between them.
 *
 * @example
 * ```ts
 * import { MEDIA_STREAM_ID } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MEDIA_STREAM_ID, 1);
 * ```
 */
export const MEDIA_STREAM_ID = 1;

function control(typeId: number, payload: Uint8Array): Uint8Array {
  return writeChunks(
    { csid: ChunkStreamId.Control, typeId, streamId: 0, timestamp: 0 },
    payload,
    0x7fffffff,
  );
}

function u32(value: number, extra = 0): Uint8Array {
  const out = new Uint8Array(4 + extra);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

/**
 * Set Chunk Size (type 1) as chunk bytes.
 *
 * @param size the new outgoing chunk size, 1..0x7fffffff
 * @returns chunk bytes
 * @example
 * ```ts
 * import { setChunkSizeMessage } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(setChunkSizeMessage(4096).length, 16);
 * ```
 */
export function setChunkSizeMessage(size: number): Uint8Array {
  return control(MessageType.SetChunkSize, u32(size & 0x7fffffff));
}

/**
 * Acknowledgement (type 3) of `sequence` bytes received.
 *
 * @param sequence total bytes received, modulo 2^32
 * @returns chunk bytes
 * @example
 * ```ts
 * import { acknowledgementMessage } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(acknowledgementMessage(1000)[7], 3);
 * ```
 */
export function acknowledgementMessage(sequence: number): Uint8Array {
  return control(MessageType.Acknowledgement, u32(sequence % 0x100000000));
}

/**
 * Window Acknowledgement Size (type 5).
 *
 * @param size bytes between acknowledgements
 * @returns chunk bytes
 * @example
 * ```ts
 * import { windowAckSizeMessage } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(windowAckSizeMessage(2_500_000)[7], 5);
 * ```
 */
export function windowAckSizeMessage(size: number): Uint8Array {
  return control(MessageType.WindowAckSize, u32(size));
}

/**
 * Set Peer Bandwidth (type 6), limit type 2 (dynamic).
 *
 * @param size window size in bytes
 * @returns chunk bytes
 * @example
 * ```ts
 * import { setPeerBandwidthMessage } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(setPeerBandwidthMessage(2_500_000).length, 17);
 * ```
 */
export function setPeerBandwidthMessage(size: number): Uint8Array {
  const payload = u32(size, 1);
  payload[4] = 2;
  return control(MessageType.SetPeerBandwidth, payload);
}

/**
 * User Control (type 4) event with one 32-bit argument (stream id or ping time).
 *
 * @param event a {@linkcode UserControlEvent}
 * @param value its 32-bit argument
 * @returns chunk bytes
 * @example Stream Begin for stream 1
 * ```ts
 * import { userControlMessage, UserControlEvent } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * const bytes = userControlMessage(UserControlEvent.StreamBegin, 1);
 * assert.equal(bytes.length, 18);
 * ```
 */
export function userControlMessage(event: number, value: number): Uint8Array {
  const payload = new Uint8Array(6);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  view.setUint16(0, event);
  view.setUint32(2, value >>> 0);
  return control(MessageType.UserControl, payload);
}

/**
 * User Control Set Buffer Length (event 3): the player's buffer for a stream.
 *
 * @param streamId the message stream id
 * @param ms buffer length in milliseconds
 * @returns chunk bytes
 * @example
 * ```ts
 * import { setBufferLengthMessage } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * assert.equal(setBufferLengthMessage(1, 1000).length, 22);
 * ```
 */
export function setBufferLengthMessage(
  streamId: number,
  ms: number,
): Uint8Array {
  const payload = new Uint8Array(10);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  view.setUint16(0, UserControlEvent.SetBufferLength);
  view.setUint32(2, streamId >>> 0);
  view.setUint32(6, ms >>> 0);
  return control(MessageType.UserControl, payload);
}

/**
 * An AMF0 command or data message (type 20 or 18) as chunk bytes.
 *
 * @param values the AMF0 values (command name, transaction id, object, args…)
 * @param options stream id, type (default command), chunk size, csid
 * @returns chunk bytes
 * @example
 * ```ts
 * import { commandMessage } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 * const bytes = commandMessage(["_result", 1, null, 1]);
 * assert.equal(bytes[7], 20);
 * ```
 */
export function commandMessage(
  values: readonly Amf0Value[],
  options: CommandMessageOptions = {},
): Uint8Array {
  return writeChunks(
    {
      csid: options.csid ?? ChunkStreamId.Command,
      typeId: options.typeId ?? MessageType.CommandAmf0,
      streamId: options.streamId ?? 0,
      timestamp: options.timestamp ?? 0,
    },
    encodeAmf0(values),
    options.chunkSize ?? 128,
  );
}

/**
 * Options for {@linkcode commandMessage}.
 *
 * @example
 * ```ts
 * import { commandMessage, type CommandMessageOptions, MessageType } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: CommandMessageOptions = { typeId: MessageType.DataAmf0, streamId: 1 };
 * assert.equal(commandMessage(["onMetaData", null], options)[7], 18);
 * ```
 */
export interface CommandMessageOptions {
  /** Message stream id (0 for NetConnection, the stream's id for NetStream). */
  streamId?: number;
  /** {@linkcode MessageType.CommandAmf0} (default) or `DataAmf0`. */
  typeId?: number;
  /** Outgoing chunk size in effect; default 128. */
  chunkSize?: number;
  /** Chunk stream id; default {@linkcode ChunkStreamId.Command}. */
  csid?: number;
  /** Timestamp; default 0. */
  timestamp?: number;
}
