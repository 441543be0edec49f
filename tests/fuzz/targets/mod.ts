// Every fuzz target, in one list (the short test and the long bench share it).
import { codecTargets } from "./codec.ts";
import { hlsTargets } from "./hls.ts";
import { httpTargets } from "./http.ts";
import { mediaTargets } from "./media.ts";
import { mpegtsTargets } from "./mpegts.ts";
import { netTargets } from "./net.ts";
import { recordingTargets } from "./recording.ts";
import { rtmpTargets } from "./rtmp.ts";
import { rtpTargets } from "./rtp.ts";
import { rtspTargets } from "./rtsp.ts";
import { srtTargets } from "./srt.ts";
import { transcodeTargets } from "./transcode.ts";
import { webrtcTargets } from "./webrtc.ts";
import type { FuzzTargetDef } from "./_target.ts";

export type { FuzzTargetDef, PreparedTarget } from "./_target.ts";

/** Codec, container, HLS, RTMP and HTTP targets. */
export function allTargets(): FuzzTargetDef[] {
  return [
    ...codecTargets(),
    ...mediaTargets(),
    ...mpegtsTargets(),
    ...recordingTargets(),
    ...hlsTargets(),
    ...rtmpTargets(),
    ...rtpTargets(),
    ...httpTargets(),
    ...rtspTargets(),
    ...srtTargets(),
    ...transcodeTargets(),
    ...webrtcTargets(),
    ...netTargets(),
  ];
}
