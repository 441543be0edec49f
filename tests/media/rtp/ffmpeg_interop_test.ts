// Real peers: ffmpeg sends RTP (-f rtp, its SDP from -sdp_file) that we
// receive on node:dgram sockets, parse with parseSdp, depacketize, remux with
// our FLV / fMP4 muxers, and ffprobe/ffmpeg decode with zero errors and the
// right frame count. The other direction: our packetizers send to ffmpeg
// reading an SDP built by buildSdp(mediaFromConfigs(...)).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import {
  createDepacketizer,
  createPacketizer,
  parseRtpPacket,
} from "../../../media/rtp/mod.ts";
import {
  buildSdp,
  mediaFromConfigs,
  parseSdp,
  rtpFormatOf,
} from "../../../media/sdp/mod.ts";
import { encodeFlvFile } from "../../../media/flv/mod.ts";
import { Fmp4Muxer } from "../../../media/fmp4/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { missing, run, spawnLogged, tempDir } from "../../_tools.ts";
import {
  aacFrames,
  h264Frames,
  h265Frames,
  vp8Frames,
  vp9Frames,
} from "./_fixtures.ts";

const fixturePath = (frames: MediaFrame[]) =>
  new URL(`./testdata/gop.${frames[0]!.codec}`, import.meta.url).pathname;

const ignore = missing("ffmpeg", "ffprobe");

interface Receiver {
  port: number;
  packets: Uint8Array[];
  close(): void;
}

async function receiver(): Promise<Receiver> {
  const socket = dgram.createSocket("udp4");
  const packets: Uint8Array[] = [];
  socket.on("message", (msg: Uint8Array) => packets.push(new Uint8Array(msg)));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  try {
    socket.setRecvBufferSize(4 << 20);
  } catch { /* not supported everywhere */ }
  return { port: socket.address().port, packets, close: () => socket.close() };
}

async function countFrames(
  file: string,
): Promise<{ errors: string; counts: Record<string, number> }> {
  const decode = await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    file,
    "-f",
    "null",
    "-",
  ]);
  const probe = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-show_entries",
    "stream=codec_name,nb_read_frames",
    "-of",
    "json",
    file,
  ]);
  const counts: Record<string, number> = {};
  for (const s of JSON.parse(probe.stdout).streams) {
    counts[s.codec_name] = Number(s.nb_read_frames);
  }
  return { errors: decode.stderr + probe.stderr, counts };
}

function depacketize(sdpText: string, receivers: Receiver[]): MediaFrame[][] {
  const sdp = parseSdp(sdpText);
  return sdp.media.map((m, i) => {
    const d = createDepacketizer(rtpFormatOf(m)!);
    const frames = receivers[i]!.packets.flatMap((b) =>
      d.push(parseRtpPacket(b))
    );
    assert.equal(d.stats.lost, 0, `${m.type}: packets lost on loopback`);
    return frames;
  });
}

/** Interleave tracks by dts in seconds (what a muxer expects). */
function interleave(tracks: MediaFrame[][]): MediaFrame[] {
  const configs = tracks.flatMap((t) => t.filter((f) => f.config).slice(0, 1));
  const media = tracks.flatMap((t) => t.filter((f) => !f.config));
  media.sort((a, b) => a.dts / a.timescale - b.dts / b.timescale);
  return [...configs, ...media];
}

Deno.test({
  name:
    "rtp interop: ffmpeg -f rtp H.264 (B-frames) + AAC → parseSdp → depacketize → FLV decodes with zero errors, all frames",
  ignore,
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    const video = await receiver();
    const audio = await receiver();
    try {
      const r = await run("ffmpeg", [
        "-v",
        "error",
        "-re",
        "-t",
        "2",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-t",
        "2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100",
        "-map",
        "0:v",
        "-c:v",
        "libx264",
        "-bf",
        "2",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${video.port}`,
        "-map",
        "1:a",
        "-c:a",
        "aac",
        "-ac",
        "2",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${audio.port}`,
        "-sdp_file",
        `${dir.path}/in.sdp`,
      ], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 300));
      const sdpText = await Deno.readTextFile(`${dir.path}/in.sdp`);
      const [v, a] = depacketize(sdpText, [video, audio]);
      assert.equal(v!.filter((f) => !f.config).length, 50);
      assert.ok(v!.some((f) => f.pts !== f.dts), "B-frames give pts != dts");
      const flv = `${dir.path}/out.flv`;
      await Deno.writeFile(flv, encodeFlvFile(interleave([v!, a!])));
      const { errors, counts } = await countFrames(flv);
      assert.equal(errors, "");
      assert.equal(counts.h264, 50);
      assert.equal(counts.aac, a!.filter((f) => !f.config).length);
      assert.ok(counts.aac! >= 80, `aac frames ${counts.aac}`);
    } finally {
      video.close();
      audio.close();
    }
  },
});

Deno.test({
  name:
    "rtp interop: ffmpeg -f rtp Opus and H.265 → depacketize → fMP4 decodes with zero errors",
  ignore,
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    const video = await receiver();
    const audio = await receiver();
    try {
      const r = await run("ffmpeg", [
        "-v",
        "error",
        "-re",
        "-t",
        "2",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-t",
        "2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-map",
        "0:v",
        "-c:v",
        "libx265",
        "-x265-params",
        "log-level=error:keyint=25:bframes=2",
        "-pix_fmt",
        "yuv420p",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${video.port}`,
        "-map",
        "1:a",
        "-c:a",
        "libopus",
        "-ac",
        "2",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${audio.port}`,
        "-sdp_file",
        `${dir.path}/in.sdp`,
      ], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 300));
      const [v, a] = depacketize(
        await Deno.readTextFile(`${dir.path}/in.sdp`),
        [video, audio],
      );
      assert.equal(v!.filter((f) => !f.config).length, 50);
      const muxer = new Fmp4Muxer();
      const all = interleave([v!, a!]);
      for (const f of all.filter((f) => f.config)) muxer.configure(f);
      const media = all.filter((f) => !f.config);
      const mp4 = `${dir.path}/out.mp4`;
      const init = muxer.initSegment()!;
      const fragment = muxer.mux(media, { sequenceNumber: 1 });
      const file = new Uint8Array(init.length + fragment.length);
      file.set(init);
      file.set(fragment, init.length);
      await Deno.writeFile(mp4, file);
      const { errors, counts } = await countFrames(mp4);
      assert.equal(errors, "");
      assert.equal(counts.hevc, 50);
      assert.equal(counts.opus, a!.filter((f) => !f.config).length);
      assert.ok(counts.opus! >= 90, `opus frames ${counts.opus}`);
    } finally {
      video.close();
      audio.close();
    }
  },
});

/**
 * ffmpeg's stderr without the line it prints when SIGINT (our stop: RTP input
 * has no end) interrupts a blocked read: "<input>: Connection timed out".
 */
function errorsOf(stderr: string): string {
  return stderr.split("\n").filter((l) =>
    l.trim() !== "" && !/: Connection timed out$/.test(l)
  ).join("\n");
}

/** Waits (bounded) until a peer has bound every UDP port (`ss`), plus a margin. */
async function udpBound(ports: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const r = await run("ss", ["-Huln"]);
    if (ports.every((p) => new RegExp(`:${p}\\s`).test(r.stdout))) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await new Promise((res) => setTimeout(res, 300));
}

function freePort(): number {
  return 20000 + 2 * Math.floor(Math.random() * 20000);
}

Deno.test({
  name:
    "rtp interop: our H.264/H.265 + AAC packets and buildSdp(mediaFromConfigs()) decode in ffmpeg",
  ignore,
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    for (const video of [h264Frames(), h265Frames()]) {
      const audio = aacFrames();
      const media = mediaFromConfigs([video[0]!, audio[0]!]);
      const ports = [freePort(), freePort() + 2];
      media.forEach((m, i) => (m.port = ports[i]!));
      const sdp = buildSdp({
        sessionName: "arcly",
        connection: "IN IP4 127.0.0.1",
        media,
      });
      await Deno.writeTextFile(`${dir.path}/out.sdp`, sdp);
      const ff = spawnLogged("ffmpeg", [
        "-v",
        "error",
        "-protocol_whitelist",
        "file,udp,rtp",
        "-i",
        `${dir.path}/out.sdp`,
        "-fps_mode",
        "passthrough",
        "-f",
        "framecrc",
        "-",
      ], dir.path);
      try {
        await udpBound(ports);
        const socket = dgram.createSocket("udp4");
        const send = (bytes: Uint8Array, port: number) =>
          new Promise<void>((res) =>
            socket.send(bytes, port, "127.0.0.1", () => res())
          );
        const vp = createPacketizer(media[0]!.codec, {
          payloadType: media[0]!.payloadType,
          clockRate: 90000,
        });
        const ap = createPacketizer("aac", {
          payloadType: media[1]!.payloadType,
          clockRate: media[1]!.clockRate,
        });
        // 60 video frames at 25 fps = 2.4 s; AAC at 44.1 kHz interleaved by time
        const timeline = interleave([video, audio]).filter((f) => !f.config);
        // then one more GOP of video only: ffmpeg's parser and decoder hold the
        // last pictures until more arrive (RTP input has no end of stream)
        const gop = video.slice(
          1,
          1 + video.slice(2).findIndex((f) => f.keyframe) + 1,
        );
        const tail = gop.map((f) => ({
          ...f,
          pts: f.pts + 90000 * 3,
          dts: f.dts + 90000 * 3,
        }));
        vp.packetize(video[0]!);
        for (const frame of [...timeline, ...tail]) {
          const p = frame.kind === "video" ? vp : ap;
          for (const bytes of p.packetize(frame)) {
            await send(bytes, frame.kind === "video" ? ports[0]! : ports[1]!);
          }
          await new Promise((res) => setTimeout(res, 2));
        }
        await new Promise((res) => setTimeout(res, 1500));
        socket.close();
      } finally {
        await ff.stop("SIGINT");
      }
      const lines = ff.out.split("\n").filter((l) => /^\d+,/.test(l));
      const videoFrames = lines.filter((l) => l.startsWith("0,")).length;
      const audioFrames = lines.filter((l) => l.startsWith("1,")).length;
      assert.equal(errorsOf(ff.err), "", ff.err);
      // the pictures ffmpeg decodes from our RTP are the ones it decodes from the file
      const reference = await run("ffmpeg", [
        "-v",
        "error",
        "-i",
        fixturePath(video),
        "-fps_mode",
        "passthrough",
        "-f",
        "framecrc",
        "-",
      ]);
      const crcs = (text: string) =>
        text.split("\n").filter((l) => l.startsWith("0,")).map((l) =>
          l.split(",").at(-1)!.trim()
        );
      const want = crcs(reference.stdout);
      assert.equal(want.length, video.length - 1);
      assert.ok(
        videoFrames >= want.length,
        `${video[0]!.codec}: decoded ${videoFrames} video frames`,
      );
      assert.deepEqual(crcs(ff.out).slice(0, want.length), want);
      assert.ok(
        audioFrames >= audio.length - 3,
        `audio frames ${audioFrames} of ${audio.length - 1}`,
      );
    }
  },
});

Deno.test({
  name:
    "rtp interop: ffmpeg -f rtp VP9 → depacketize → fMP4 decodes with zero errors, all frames",
  ignore,
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    const video = await receiver();
    try {
      const r = await run("ffmpeg", [
        "-v",
        "error",
        "-re",
        "-t",
        "2",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-g",
        "25",
        "-strict",
        "experimental",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${video.port}`,
        "-sdp_file",
        `${dir.path}/in.sdp`,
      ], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 300));
      const [v] = depacketize(await Deno.readTextFile(`${dir.path}/in.sdp`), [
        video,
      ]);
      assert.equal(v!.filter((f) => !f.config).length, 50);
      const muxer = new Fmp4Muxer();
      muxer.configure(v![0]!);
      const init = muxer.initSegment()!;
      const fragment = muxer.mux(v!.filter((f) => !f.config), {
        sequenceNumber: 1,
      });
      const file = new Uint8Array(init.length + fragment.length);
      file.set(init);
      file.set(fragment, init.length);
      await Deno.writeFile(`${dir.path}/out.mp4`, file);
      const { errors, counts } = await countFrames(`${dir.path}/out.mp4`);
      assert.equal(errors, "");
      assert.equal(counts.vp9, 50);
    } finally {
      video.close();
    }
    // (the other direction needs a peer that speaks RFC 9628: ffmpeg 5.1's VP9
    // depacketizer implements draft 00, whose descriptor bits differ)
  },
});

Deno.test({
  name:
    "rtp interop: Opus and PCMU from ffmpeg → depacketize → our packetizers → ffmpeg decodes every frame; PCMU bytes equal ffmpeg's mulaw",
  ignore,
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    const opusIn = await receiver();
    const pcmuIn = await receiver();
    let opus: MediaFrame[];
    let pcmu: MediaFrame[];
    try {
      const r = await run("ffmpeg", [
        "-v",
        "error",
        "-re",
        "-t",
        "1",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "1",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300:sample_rate=8000",
        "-map",
        "0:a",
        "-c:a",
        "libopus",
        "-ac",
        "2",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${opusIn.port}`,
        "-map",
        "1:a",
        "-c:a",
        "pcm_mulaw",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${pcmuIn.port}`,
        "-sdp_file",
        `${dir.path}/in.sdp`,
      ], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 300));
      const sdpText = await Deno.readTextFile(`${dir.path}/in.sdp`);
      assert.equal(
        rtpFormatOf(parseSdp(sdpText).media[1]!)!.encodingName,
        "PCMU",
      );
      const tracks = depacketize(sdpText, [opusIn, pcmuIn]);
      opus = tracks[0]!;
      pcmu = tracks[1]!;
    } finally {
      opusIn.close();
      pcmuIn.close();
    }
    // PCMU: the payload bytes are exactly ffmpeg's mu-law encoding of the same input
    assert.ok(pcmu!.every((f) => f.codec === "pcmu" && !f.config));
    const mulaw = await new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-t",
        "1",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300:sample_rate=8000",
        "-f",
        "mulaw",
        "-",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ours = new Uint8Array(pcmu!.flatMap((f) => [...f.data]));
    assert.equal(ours.length, 8000);
    assert.deepEqual(ours, mulaw.stdout);
    // Opus: our packets of ffmpeg's frames, described by mediaFromConfigs, decode in ffmpeg
    const frames = opus!.filter((f) => !f.config);
    assert.ok(frames.length >= 49, `opus frames ${frames.length}`);
    const [media] = mediaFromConfigs([opus![0]!]);
    const port = freePort();
    media!.port = port;
    await Deno.writeTextFile(
      `${dir.path}/out.sdp`,
      buildSdp({ connection: "IN IP4 127.0.0.1", media: [media!] }),
    );
    const ff = spawnLogged("ffmpeg", [
      "-v",
      "error",
      "-protocol_whitelist",
      "file,udp,rtp",
      "-i",
      `${dir.path}/out.sdp`,
      "-f",
      "framecrc",
      "-",
    ], dir.path);
    try {
      await udpBound([port]);
      const socket = dgram.createSocket("udp4");
      const p = createPacketizer("opus", { payloadType: media!.payloadType });
      const tail = frames.slice(0, 10).map((f) => ({
        ...f,
        pts: f.pts + 48000 * 5,
        dts: f.dts + 48000 * 5,
      }));
      for (const frame of [...frames, ...tail]) {
        for (const bytes of p.packetize(frame)) {
          await new Promise<void>((res) =>
            socket.send(bytes, port, "127.0.0.1", () => res())
          );
        }
        await new Promise((res) => setTimeout(res, 2));
      }
      await new Promise((res) => setTimeout(res, 1500));
      socket.close();
    } finally {
      await ff.stop("SIGINT");
    }
    assert.equal(errorsOf(ff.err), "", ff.err);
    const decoded = ff.out.split("\n").filter((l) => l.startsWith("0,")).length;
    assert.ok(
      decoded >= frames.length,
      `decoded ${decoded} of ${frames.length}`,
    );
  },
});

Deno.test({
  name:
    "rtp interop: our VP9 packets decode in GStreamer rtpvp9depay ! vp9dec to the same pictures ffmpeg decodes from the file",
  ignore: missing("ffmpeg", "gst-launch-1.0"),
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    const frames = vp9Frames();
    const port = freePort();
    const gst = spawnLogged("gst-launch-1.0", [
      "-q",
      "-e",
      "udpsrc",
      `port=${port}`,
      "address=127.0.0.1",
      "caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP9,payload=98",
      "!",
      "rtpvp9depay",
      "!",
      "vp9dec",
      "!",
      "videoconvert",
      "!",
      "video/x-raw,format=I420",
      "!",
      "filesink",
      `location=${dir.path}/gst.yuv`,
    ], dir.path);
    try {
      await udpBound([port]);
      const socket = dgram.createSocket("udp4");
      const p = createPacketizer("vp9", { payloadType: 98 });
      for (const frame of frames.slice(1)) {
        for (const bytes of p.packetize(frame)) {
          await new Promise<void>((res) =>
            socket.send(bytes, port, "127.0.0.1", () => res())
          );
        }
        await new Promise((res) => setTimeout(res, 2));
      }
      await new Promise((res) => setTimeout(res, 1000));
      socket.close();
    } finally {
      await gst.stop("SIGINT"); // -e: EOS flushes the decoder and the file
    }
    const ref = await new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-i",
        new URL("./testdata/gop.vp9.ivf", import.meta.url).pathname,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ours = await Deno.readFile(`${dir.path}/gst.yuv`);
    const frameBytes = 160 * 120 * 3 / 2;
    assert.equal(ref.stdout.length, (frames.length - 1) * frameBytes);
    assert.equal(
      ours.length,
      ref.stdout.length,
      `GStreamer decoded ${ours.length / frameBytes} of ${
        frames.length - 1
      } frames; ${gst.err}`,
    );
    assert.ok(ours.every((b, i) => b === ref.stdout[i]), "identical pictures");
  },
});

/** A minimal IVF file (our containers do not carry VP8): 32-byte header, 12-byte frame headers. */
function ivfFile(frames: MediaFrame[], fourcc: string): Uint8Array {
  const size = 32 + frames.reduce((n, f) => n + 12 + f.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode("DKIF"), 0);
  view.setUint16(6, 32, true);
  out.set(new TextEncoder().encode(fourcc), 8);
  view.setUint32(16, frames[0]!.timescale, true);
  view.setUint32(20, 1, true);
  view.setUint32(24, frames.length, true);
  let pos = 32;
  for (const f of frames) {
    view.setUint32(pos, f.data.length, true);
    view.setUint32(pos + 4, f.pts, true);
    out.set(f.data, pos + 12);
    pos += 12 + f.data.length;
  }
  return out;
}

Deno.test({
  name:
    "rtp interop: VP8 both ways: ffmpeg -f rtp → depacketize → decodes; our packets decode in ffmpeg to the source's CRCs",
  ignore,
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    const video = await receiver();
    try {
      const r = await run("ffmpeg", [
        "-v",
        "error",
        "-re",
        "-t",
        "2",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-g",
        "25",
        "-f",
        "rtp",
        `rtp://127.0.0.1:${video.port}`,
        "-sdp_file",
        `${dir.path}/in.sdp`,
      ], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 300));
      const [v] = depacketize(await Deno.readTextFile(`${dir.path}/in.sdp`), [
        video,
      ]);
      assert.equal(v!.length, 50);
      await Deno.writeFile(`${dir.path}/in.ivf`, ivfFile(v!, "VP80"));
      const { errors, counts } = await countFrames(`${dir.path}/in.ivf`);
      assert.equal(errors, "");
      assert.equal(counts.vp8, 50);
    } finally {
      video.close();
    }
    const frames = vp8Frames();
    const port = freePort();
    await Deno.writeTextFile(
      `${dir.path}/out.sdp`,
      buildSdp({
        connection: "IN IP4 127.0.0.1",
        media: [{
          type: "video",
          port,
          formats: [96],
          rtpmap: new Map([[96, { encodingName: "VP8", clockRate: 90000 }]]),
        }],
      }),
    );
    const ff = spawnLogged("ffmpeg", [
      "-v",
      "error",
      "-protocol_whitelist",
      "file,udp,rtp",
      "-i",
      `${dir.path}/out.sdp`,
      "-fps_mode",
      "passthrough",
      "-f",
      "framecrc",
      "-",
    ], dir.path);
    try {
      await udpBound([port]);
      const socket = dgram.createSocket("udp4");
      const p = createPacketizer("vp8", { payloadType: 96 });
      const tail = frames.slice(0, 12).map((f) => ({
        ...f,
        pts: f.pts + 90000 * 3,
        dts: f.dts + 90000 * 3,
      }));
      for (const frame of [...frames, ...tail]) {
        for (const bytes of p.packetize(frame)) {
          await new Promise<void>((res) =>
            socket.send(bytes, port, "127.0.0.1", () => res())
          );
        }
        await new Promise((res) => setTimeout(res, 2));
      }
      await new Promise((res) => setTimeout(res, 1500));
      socket.close();
    } finally {
      await ff.stop("SIGINT");
    }
    const reference = await run("ffmpeg", [
      "-v",
      "error",
      "-i",
      new URL("./testdata/gop.vp8.ivf", import.meta.url).pathname,
      "-fps_mode",
      "passthrough",
      "-f",
      "framecrc",
      "-",
    ]);
    const crcs = (text: string) =>
      text.split("\n").filter((l) => l.startsWith("0,")).map((l) =>
        l.split(",").at(-1)!.trim()
      );
    const want = crcs(reference.stdout);
    assert.equal(errorsOf(ff.err), "", ff.err);
    assert.equal(want.length, frames.length);
    assert.deepEqual(crcs(ff.out).slice(0, want.length), want);
  },
});

Deno.test({
  name:
    "rtp interop: GStreamer AAC as MP4A-LATM (rtpmp4apay) and MPEG4-GENERIC (rtpmp4gpay) → depacketize → FLV decodes with zero errors",
  ignore: missing("ffmpeg", "ffprobe", "gst-launch-1.0"),
  async fn() {
    await using dir = await tempDir("arcly-rtp-");
    for (const payloader of ["rtpmp4apay", "rtpmp4gpay"]) {
      const rx = await receiver();
      let caps = "";
      try {
        const r = await run("gst-launch-1.0", [
          "-v",
          "audiotestsrc",
          "num-buffers=100",
          "is-live=true",
          "!",
          "audio/x-raw,rate=44100,channels=2",
          "!",
          "avenc_aac",
          "!",
          payloader,
          "!",
          "udpsink",
          "host=127.0.0.1",
          `port=${rx.port}`,
        ], { timeoutMs: 30_000 });
        assert.equal(r.code, 0, r.stderr);
        caps = r.stdout.match(/caps = application\/x-rtp, (.*)/)![1]!;
        await new Promise((res) => setTimeout(res, 300));
      } finally {
        rx.close();
      }
      // the caps are the SDP parameters: encoding-name, clock-rate, config, …
      const params = Object.fromEntries(
        [...caps.matchAll(/([\w-]+)=\(\w+\)([^,]+)/g)].map((
          m,
        ) => [m[1]!, m[2]!.trim()]),
      );
      const d = createDepacketizer({
        encodingName: params["encoding-name"]!,
        clockRate: Number(params["clock-rate"]),
        fmtp: params,
      });
      const frames = rx.packets.flatMap((b) => d.push(parseRtpPacket(b)));
      assert.equal(d.stats.lost, 0);
      assert.equal(frames[0]!.config, true);
      assert.deepEqual(
        [...frames[0]!.data.subarray(0, 2)],
        [0x12, 0x10],
        payloader,
      ); // AAC LC 44.1 kHz stereo
      const media = frames.filter((f) => !f.config);
      assert.ok(media.length >= 95, `${payloader}: ${media.length} AUs`);
      const flv = `${dir.path}/${payloader}.flv`;
      await Deno.writeFile(flv, encodeFlvFile(frames));
      const { errors, counts } = await countFrames(flv);
      assert.equal(errors, "", payloader);
      assert.equal(counts.aac, media.length, payloader);
    }
  },
});
