// Private: the fixed reply sequences of the server session (RTMP §7.2.1.1
// connect, §7.2.2 NetStream onStatus), built once per call.
import {
  commandMessage,
  MEDIA_STREAM_ID,
  MessageType,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  UserControlEvent,
  userControlMessage,
  windowAckSizeMessage,
} from "./messages.ts";
import { statusMessage } from "./_session_util.ts";

/** Window Acknowledgement Size / peer bandwidth we announce (FMS and ffmpeg use it). */
export const WINDOW_ACK_SIZE = 2_500_000;

/** Window size, peer bandwidth, chunk size and the connect `_result`. */
export function connectReplies(txId: number, chunkSize: number): Uint8Array[] {
  return [
    windowAckSizeMessage(WINDOW_ACK_SIZE),
    setPeerBandwidthMessage(WINDOW_ACK_SIZE),
    setChunkSizeMessage(chunkSize),
    commandMessage(["_result", txId, {
      fmsVer: "FMS/3,0,1,123",
      capabilities: 31,
    }, {
      level: "status",
      code: "NetConnection.Connect.Success",
      description: "Connection succeeded.",
      objectEncoding: 0, // AMF3 (3) is refused by answering AMF0
    }], { chunkSize }),
  ];
}

/** Stream Begin and NetStream.Publish.Start. */
export function publishStartMessages(
  description: string,
  chunkSize: number,
): Uint8Array[] {
  return [
    userControlMessage(UserControlEvent.StreamBegin, MEDIA_STREAM_ID),
    statusMessage("status", "NetStream.Publish.Start", description, chunkSize),
  ];
}

/** Stream Is Recorded, Stream Begin, Play.Reset, Play.Start, |RtmpSampleAccess. */
export function playStartMessages(
  description: string,
  chunkSize: number,
  reset: boolean,
): Uint8Array[] {
  return [
    userControlMessage(UserControlEvent.StreamIsRecorded, MEDIA_STREAM_ID),
    userControlMessage(UserControlEvent.StreamBegin, MEDIA_STREAM_ID),
    ...(reset
      ? [
        statusMessage("status", "NetStream.Play.Reset", description, chunkSize),
      ]
      : []),
    statusMessage("status", "NetStream.Play.Start", description, chunkSize),
    commandMessage(["|RtmpSampleAccess", true, true], {
      typeId: MessageType.DataAmf0,
      streamId: MEDIA_STREAM_ID,
      chunkSize,
    }),
  ];
}

/** Play.UnpublishNotify and Stream EOF when the played stream ends. */
export function playEndMessages(chunkSize: number): Uint8Array[] {
  return [
    statusMessage(
      "status",
      "NetStream.Play.UnpublishNotify",
      "Stream ended",
      chunkSize,
    ),
    userControlMessage(UserControlEvent.StreamEof, MEDIA_STREAM_ID),
  ];
}
