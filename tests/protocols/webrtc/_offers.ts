// Synthetic SDP offers (what a browser sends, minus a real ICE agent):
// enough for werift to answer, never connecting.

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An offer with one video and one audio section (direction from the peer's view). */
export function syntheticOffer(
  options: {
    video?: string;
    audio?: string;
    direction?: "recvonly" | "sendonly";
  } = {},
): string {
  const ufrag = randomHex(4);
  const pwd = randomHex(12);
  const fingerprint = [...crypto.getRandomValues(new Uint8Array(32))]
    .map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
  const direction = options.direction ?? "recvonly";
  const video = options.video ?? "H264";
  const audio = options.audio ?? "opus";
  const common = [
    "c=IN IP4 0.0.0.0",
    `a=ice-ufrag:${ufrag}`,
    `a=ice-pwd:${pwd}`,
    "a=ice-options:trickle",
    `a=fingerprint:sha-256 ${fingerprint}`,
    "a=setup:actpass",
    `a=${direction}`,
    "a=rtcp-mux",
  ];
  const videoFmtp = video === "H264"
    ? [
      "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    ]
    : [];
  const audioLine = audio === "PCMU"
    ? "a=rtpmap:0 PCMU/8000"
    : "a=rtpmap:111 opus/48000/2";
  const audioPt = audio === "PCMU" ? "0" : "111";
  return [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "m=video 9 UDP/TLS/RTP/SAVPF 102",
    ...common,
    "a=mid:0",
    `a=rtpmap:102 ${video}/90000`,
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    ...videoFmtp,
    `m=audio 9 UDP/TLS/RTP/SAVPF ${audioPt}`,
    ...common,
    "a=mid:1",
    audioLine,
    "",
  ].join("\r\n");
}
