// Silent AAC-LC frames for the still-picture filler segments of a stream
// that has audio (MPEG-TS: no init segment tells a player the stream has an
// audio track, so a filler without audio made hls.js, joining on one,
// create a video SourceBuffer only and fail on the next real segment).
//
// A silent raw_data_block (ISO/IEC 14496-3 §4.4.2.1) holds, per channel, an
// individual_channel_stream with global_gain 0, ONLY_LONG_SEQUENCE and
// max_sfb 0 (no sections, scale factors or spectral data: all zeros), no
// pulse, TNS or gain control data, then ID_END, byte-aligned. Mono is one
// SCE (32 bits), stereo one CPE without a common window (56 bits).
import type { MediaFrame } from "../frame.ts";
import { parseAudioSpecificConfig } from "../codec/aac_config.ts";

const SILENT_MONO = Uint8Array.of(0x00, 0x00, 0x00, 0x07);
const SILENT_STEREO = Uint8Array.of(0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e);
const SAMPLES_PER_FRAME = 1024;

/**
 * Silent frames of `config`'s track from `startS` up to `endS` (seconds, the
 * media timeline), in the config's sample rate; empty unless the config is
 * plain AAC-LC (no SBR/PS) with one or two channels.
 */
export function silentAacFrames(
  config: MediaFrame,
  startS: number,
  endS: number,
): MediaFrame[] {
  if (config.codec !== "aac") return [];
  let asc;
  try {
    asc = parseAudioSpecificConfig(config.data);
  } catch {
    return [];
  }
  if (asc.objectType !== 2 || asc.sbr || asc.ps) return [];
  const data = asc.channelConfiguration === 1
    ? SILENT_MONO
    : asc.channelConfiguration === 2
    ? SILENT_STEREO
    : undefined;
  if (data === undefined) return [];
  const rate = asc.sampleRate;
  const end = Math.round(endS * rate);
  const frames: MediaFrame[] = [];
  for (let t = Math.round(startS * rate); t < end; t += SAMPLES_PER_FRAME) {
    frames.push({
      kind: "audio",
      codec: "aac",
      trackId: config.trackId,
      pts: t,
      dts: t,
      timescale: rate,
      keyframe: true,
      config: false,
      data,
    });
  }
  return frames;
}
