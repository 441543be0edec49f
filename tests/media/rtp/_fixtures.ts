// Frames for the RTP tests, from the committed codec fixtures: H.264/H.265
// Annex B files regrouped into access units (AVCC/hvcC), ADTS AAC, and
// synthetic Opus packets. Also seeded loss/reorder helpers.
import {
  annexBToLengthPrefixed,
  buildAudioSpecificConfig,
  buildAv1DecoderConfig,
  buildAvcDecoderConfig,
  buildHevcDecoderConfig,
  buildOpusHead,
  buildVp9DecoderConfig,
  groupAccessUnits,
  isAv1KeyFrame,
  isVp9KeyFrame,
  joinLengthPrefixed,
  parseVp9FrameHeader,
  splitAdts,
  splitAnnexB,
  splitAv1Obus,
  splitVp9Superframe,
  vp9DecoderConfigFromHeader,
} from "../../../media/codec/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";

const DIR = new URL("../../testdata/codec/", import.meta.url);

/** Bytes of a codec fixture (tests/testdata/codec, or ./testdata for "gop.*"). */
export function fixture(name: string): Uint8Array {
  if (name.startsWith("gop.")) {
    return Deno.readFileSync(new URL(`./testdata/${name}`, import.meta.url));
  }
  return Deno.readFileSync(new URL(name, DIR));
}

/** Seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function video(
  codec: "h264" | "h265",
  data: Uint8Array,
  pts: number,
  keyframe: boolean,
  config: boolean,
): MediaFrame {
  return {
    kind: "video",
    codec,
    trackId: 0,
    pts,
    dts: pts,
    timescale: 90000,
    keyframe,
    config,
    data,
  };
}

/** An H.264 Annex B fixture as [avcC config, AVCC frames…] (pts = dts = 3000·i). */
export function h264Frames(name = "gop.h264"): MediaFrame[] {
  const units = splitAnnexB(fixture(name));
  const sps = units.filter((u) => (u[0]! & 0x1f) === 7).slice(0, 1);
  const pps = units.filter((u) => (u[0]! & 0x1f) === 8).slice(0, 1);
  const out = [
    video("h264", buildAvcDecoderConfig({ sps, pps }), 0, true, true),
  ];
  let i = 0;
  for (const au of groupAccessUnits(units, "h264")) {
    const media = au.filter((u) => ![7, 8, 9].includes(u[0]! & 0x1f));
    if (media.length === 0) continue;
    const key = media.some((u) => (u[0]! & 0x1f) === 5);
    out.push(video("h264", joinLengthPrefixed(media), 3000 * i++, key, false));
  }
  return out;
}

/** An H.265 Annex B fixture as [hvcC config, frames…]. */
export function h265Frames(name = "gop.h265"): MediaFrame[] {
  const units = splitAnnexB(fixture(name));
  const type = (u: Uint8Array) => (u[0]! >> 1) & 0x3f;
  const pick = (t: number) => units.filter((u) => type(u) === t).slice(0, 1);
  const out = [
    video(
      "h265",
      buildHevcDecoderConfig({ vps: pick(32), sps: pick(33), pps: pick(34) }),
      0,
      true,
      true,
    ),
  ];
  let i = 0;
  for (const au of groupAccessUnits(units, "h265")) {
    const media = au.filter((u) => ![32, 33, 34, 35].includes(type(u)));
    if (media.length === 0) continue;
    const key = media.some((u) => type(u) >= 16 && type(u) <= 21);
    out.push(video("h265", joinLengthPrefixed(media), 3000 * i++, key, false));
  }
  return out;
}

/** AAC LC stereo 44.1 kHz ADTS fixture as [ASC config, raw AUs…] at timescale 44100. */
export function aacFrames(): MediaFrame[] {
  const adts = splitAdts(fixture("aac_lc_stereo.aac"));
  const h = adts[0]!.header;
  const asc = buildAudioSpecificConfig({
    objectType: h.objectType,
    sampleRate: h.sampleRate,
    channelConfiguration: h.channelConfiguration,
  });
  const base = {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    timescale: h.sampleRate,
    keyframe: true,
  } as const;
  return [
    { ...base, pts: 0, dts: 0, config: true, data: asc },
    ...adts.map((f, i) => ({
      ...base,
      pts: 1024 * i,
      dts: 1024 * i,
      config: false,
      data: f.payload,
    })),
  ];
}

/** Synthetic Opus packets (20 ms, random bodies) with an OpusHead config, timescale 48000. */
export function opusFrames(count = 50, seed = 1): MediaFrame[] {
  const random = rng(seed);
  const base = {
    kind: "audio",
    codec: "opus",
    trackId: 0,
    timescale: 48000,
    keyframe: true,
  } as const;
  const head = buildOpusHead({
    channels: 2,
    preSkip: 0,
    inputSampleRate: 48000,
    outputGain: 0,
    mappingFamily: 0,
    streamCount: 1,
    coupledCount: 1,
    channelMapping: new Uint8Array(0),
  });
  const out: MediaFrame[] = [{
    ...base,
    pts: 0,
    dts: 0,
    config: true,
    data: head,
  }];
  for (let i = 0; i < count; i++) {
    const data = Uint8Array.from(
      { length: 20 + Math.floor(random() * 200) },
      () => Math.floor(random() * 256),
    );
    data[0] = 0xfc;
    out.push({ ...base, pts: 960 * i, dts: 960 * i, config: false, data });
  }
  return out;
}

export { annexBToLengthPrefixed };

function ivf(data: Uint8Array): Uint8Array[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const frames: Uint8Array[] = [];
  for (let pos = view.getUint16(6, true); pos + 12 <= data.length;) {
    const size = view.getUint32(pos, true);
    frames.push(data.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  return frames;
}

/** VP9 IVF fixture as [vpcC config, frames…] at 90 kHz. */
export function vp9Frames(): MediaFrame[] {
  const frames = ivf(fixture("gop.vp9.ivf"));
  const header = parseVp9FrameHeader(splitVp9Superframe(frames[0]!)[0]!);
  const config = buildVp9DecoderConfig(vp9DecoderConfigFromHeader(header));
  const base = {
    kind: "video",
    codec: "vp9",
    trackId: 0,
    timescale: 90000,
  } as const;
  return [
    { ...base, pts: 0, dts: 0, keyframe: true, config: true, data: config },
    ...frames.map((data, i) => ({
      ...base,
      pts: 3600 * i,
      dts: 3600 * i,
      keyframe: isVp9KeyFrame(data),
      config: false,
      data,
    })),
  ];
}

/** AV1 IVF fixture as [av1C config, temporal units without temporal delimiters…] at 90 kHz. */
export function av1Frames(): MediaFrame[] {
  const tus = ivf(fixture("gop.av1.ivf"));
  const seq = splitAv1Obus(tus[0]!).find((o) => o.type === 1)!;
  const base = {
    kind: "video",
    codec: "av1",
    trackId: 0,
    timescale: 90000,
  } as const;
  return [
    {
      ...base,
      pts: 0,
      dts: 0,
      keyframe: true,
      config: true,
      data: buildAv1DecoderConfig(seq.data),
    },
    ...tus.map((tu, i) => {
      const obus = splitAv1Obus(tu).filter((o) => o.type !== 2);
      const data = new Uint8Array(obus.reduce((n, o) => n + o.data.length, 0));
      let pos = 0;
      for (const o of obus) {
        data.set(o.data, (pos += o.data.length) - o.data.length);
      }
      return {
        ...base,
        pts: 3600 * i,
        dts: 3600 * i,
        keyframe: isAv1KeyFrame(data),
        config: false,
        data,
      };
    }),
  ];
}

/** VP8 IVF fixture as frames at 90 kHz (VP8 has no config frame). */
export function vp8Frames(): MediaFrame[] {
  const base = {
    kind: "video",
    codec: "vp8",
    trackId: 0,
    timescale: 90000,
    config: false,
  } as const;
  return ivf(fixture("gop.vp8.ivf")).map((data, i) => ({
    ...base,
    pts: 3600 * i,
    dts: 3600 * i,
    keyframe: (data[0]! & 1) === 0,
    data,
  }));
}
