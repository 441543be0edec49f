// SDP parse/build: real descriptions (ffmpeg RTP/RTSP, a Chromium WebRTC
// offer shape, a camera), round trips, limits, and media sections from codec
// configs that ffmpeg accepts.
import assert from "node:assert/strict";
import {
  buildSdp,
  MAX_SDP_MEDIA,
  mediaFromConfigs,
  parseSdp,
  rtpFormatOf,
} from "../../../media/sdp/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import {
  aacFrames,
  h264Frames,
  h265Frames,
  opusFrames,
} from "../rtp/_fixtures.ts";

const FFMPEG_RTP = [
  "v=0",
  "o=- 0 0 IN IP4 127.0.0.1",
  "s=No Name",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:libavformat 59.27.100",
  "m=video 5004 RTP/AVP 96",
  "b=AS:200",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z2QACqzZRifmwFqAgICgAAADACAAAAMDwkSywA==,aOvjyyLA; profile-level-id=64000A",
  "m=audio 5006 RTP/AVP 97",
  "b=AS:128",
  "a=rtpmap:97 opus/48000/2",
  "a=fmtp:97 sprop-stereo=1",
  "",
].join("\n");

const WEBRTC_OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "a=extmap-allow-mixed",
  "a=msid-semantic: WMS",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=ice-ufrag:abcd",
  "a=ice-pwd:0123456789abcdefghijklmn",
  "a=fingerprint:sha-256 AB:CD",
  "a=setup:actpass",
  "a=mid:0",
  "a=sendonly",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
  "c=IN IP4 0.0.0.0",
  "a=mid:1",
  "a=sendonly",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  "a=rtpmap:97 rtx/90000",
  "a=fmtp:97 apt=96",
  "a=ssrc:1 cname:x",
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
  "",
].join("\r\n");

Deno.test("sdp: parses ffmpeg's RTP description", () => {
  const sdp = parseSdp(FFMPEG_RTP);
  assert.equal(sdp.sessionName, "No Name");
  assert.equal(sdp.connection, "IN IP4 127.0.0.1");
  assert.deepEqual(sdp.attributes, [["tool", "libavformat 59.27.100"]]);
  const [video, audio] = sdp.media;
  assert.equal(video!.port, 5004);
  assert.deepEqual(video!.bandwidth, ["AS:200"]);
  assert.deepEqual(rtpFormatOf(video!), {
    encodingName: "H264",
    clockRate: 90000,
    fmtp: {
      "packetization-mode": "1",
      "sprop-parameter-sets":
        "Z2QACqzZRifmwFqAgICgAAADACAAAAMDwkSywA==,aOvjyyLA",
      "profile-level-id": "64000A",
    },
  });
  assert.deepEqual(rtpFormatOf(audio!), {
    encodingName: "opus",
    clockRate: 48000,
    channels: 2,
    fmtp: { "sprop-stereo": "1" },
  });
});

Deno.test("sdp: parses a WebRTC offer: every attribute kept in order, direction, non-numeric formats", () => {
  const sdp = parseSdp(WEBRTC_OFFER);
  assert.equal(sdp.origin.sessionId, "4611731400430051336");
  assert.deepEqual(sdp.attributes[0], ["group", "BUNDLE 0 1"]);
  const [audio, video, data] = sdp.media;
  assert.deepEqual(audio!.formats, [111, 0]);
  assert.equal(audio!.direction, "sendonly");
  assert.ok(
    audio!.attributes.some(([n, v]) => n === "ice-ufrag" && v === "abcd"),
  );
  assert.equal(rtpFormatOf(audio!, 0)!.encodingName, "PCMU");
  assert.equal(video!.rtpmap.get(97)!.encodingName, "rtx");
  assert.equal(video!.fmtp.get(96)!["profile-level-id"], "42e01f");
  assert.deepEqual(data!.formats, []);
  assert.deepEqual(data!.formatTokens, ["webrtc-datachannel"]);
  const again = parseSdp(buildSdp(sdp));
  assert.deepEqual(
    again.media.map((
      m,
    ) => [m.type, m.formats, m.direction, m.attributes.length]),
    sdp.media.map((m) => [m.type, m.formats, m.direction, m.attributes.length]),
  );
  assert.deepEqual(again.attributes, sdp.attributes);
});

Deno.test("sdp: garbage, oversize and injected line breaks are refused with typed errors", () => {
  for (
    const bad of [
      "",
      "hello",
      "x=0\r\n",
      "v=1\r\n",
      "v=0\r\nm=video\r\n",
      "v=0\r\nm=video 70000 RTP/AVP 96\r\n",
      "v=0\r\nnot a line\r\n",
    ]
  ) {
    assert.throws(
      () => parseSdp(bad),
      (e) => e instanceof StreamError && e.code === "InvalidInput",
      JSON.stringify(bad),
    );
  }
  assert.throws(
    () => parseSdp("v=0\r\n" + "a=x\r\n".repeat(100_000)),
    StreamError,
  );
  assert.throws(
    () =>
      parseSdp("v=0\r\n" + "m=audio 0 RTP/AVP 0\r\n".repeat(MAX_SDP_MEDIA + 1)),
    StreamError,
  );
  assert.throws(
    () => buildSdp({ sessionName: "x\r\na=evil", media: [] }),
    RangeError,
  );
  assert.throws(
    () =>
      buildSdp({ media: [{ type: "video", formats: [96], control: "a\nb" }] }),
    RangeError,
  );
});

Deno.test("sdp: mediaFromConfigs writes H.264, H.265, AAC and Opus sections for RTSP DESCRIBE", () => {
  const configs = [h264Frames()[0]!, { ...aacFrames()[0]!, trackId: 0 }];
  const media = mediaFromConfigs(configs);
  assert.deepEqual(
    media.map((m) => [m.type, m.codec, m.payloadType, m.clockRate, m.control]),
    [
      ["video", "h264", 96, 90000, "trackID=0"],
      ["audio", "aac", 97, 44100, "trackID=1"],
    ],
  );
  const text = buildSdp({ sessionName: "live/cam", media });
  const parsed = parseSdp(text);
  const h264 = parsed.media[0]!.fmtp.get(96)!;
  assert.equal(h264["packetization-mode"], "1");
  assert.match(h264["profile-level-id"]!, /^4d[0-9a-f]{4}$/);
  assert.equal(h264["sprop-parameter-sets"]!.split(",").length, 2);
  assert.deepEqual(parsed.media[1]!.fmtp.get(97), {
    streamtype: "5",
    "profile-level-id": "1",
    mode: "AAC-hbr",
    sizelength: "13",
    indexlength: "3",
    indexdeltalength: "3",
    config: "1210",
  });
  assert.ok(text.includes("a=rtpmap:97 MPEG4-GENERIC/44100/2\r\n"));
  const [h265, opus] = mediaFromConfigs([h265Frames()[0]!, opusFrames(1)[0]!], {
    firstPayloadType: 100,
  });
  assert.deepEqual(Object.keys(h265!.fmtp.get(100)!), [
    "sprop-vps",
    "sprop-sps",
    "sprop-pps",
  ]);
  assert.deepEqual(opus!.rtpmap.get(101), {
    encodingName: "opus",
    clockRate: 48000,
    channels: 2,
  });
  assert.throws(
    () =>
      mediaFromConfigs([{ ...h264Frames()[0]!, data: new Uint8Array([1, 2]) }]),
    StreamError,
  );
});
