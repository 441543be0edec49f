/**
 * The only file that touches werift's peer connection: it creates a
 * `RTCPeerConnection` whose one ICE host candidate lives on the shared
 * {@linkcode UdpMux} socket, answers an offer as DTLS server
 * (`a=setup:passive`: as DTLS client werift lost all media across network
 * namespaces on this machine), rewrites the answer's candidates to the
 * advertised host addresses, and registers the answer's ICE ufrag with the
 * mux.
 *
 * werift has no UDP-mux option: its ICE agent opens sockets through
 * `UdpTransport.init`. That static method is wrapped once: a call whose
 * `interfaceAddresses` object carries this module's private symbol gets the
 * session's {@linkcode MuxedTransport} (first call only: one host
 * candidate), any other call (a werift client in the same process) is
 * untouched.
 *
 * @module
 */
import {
  type RTCIceCandidate,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  UdpTransport,
} from "werift";
import { StreamError } from "../../media/stream_error.ts";
import type { SdpCodec } from "./sdp_offer.ts";
import type { MuxedTransport, UdpMux } from "./udp_mux.ts";
// DTLS key exchange on node:crypto's X25519, not tweetnacl's JavaScript.
import "./native_x25519.ts";

const MUX = Symbol("arcly.webrtc.mux");
/** werift's SRTP profile numbers, ours first: AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM. */
const SRTP_PREFERENCE = [1, 7] as const;

interface MuxSlot {
  transport: MuxedTransport | undefined;
  taken: boolean;
}

type InitFn = (
  type: string,
  options?: Record<PropertyKey, unknown>,
) => Promise<unknown>;
const udp = UdpTransport as unknown as { init: InitFn; __arclyMux?: true };
if (!udp.__arclyMux) {
  const original = udp.init.bind(UdpTransport);
  udp.init = (type, options) => {
    const addresses = options?.interfaceAddresses as
      | Record<PropertyKey, unknown>
      | undefined;
    const slot = addresses?.[MUX] as MuxSlot | undefined;
    if (!slot) return original(type, options);
    if (slot.taken || !slot.transport || type !== "udp4") {
      return Promise.reject(new Error("one muxed host candidate per session"));
    }
    slot.taken = true;
    return Promise.resolve(slot.transport);
  };
  udp.__arclyMux = true;
}

/** The peer connection type this module hands out. */
export type Peer = RTCPeerConnection;

/** What {@linkcode answerOffer} returns. */
export interface AnsweredPeer {
  pc: RTCPeerConnection;
  transport: MuxedTransport;
  answer: string;
  ufrag: string;
}

/** Options of {@linkcode answerOffer}. */
export interface AnswerOptions {
  mux: UdpMux;
  /** Addresses written as host candidates (each with the mux port). */
  hosts: readonly string[];
  /** The offer's codecs we accept, per kind (their payload types and fmtp kept). */
  video: SdpCodec[];
  audio: SdpCodec[];
  /** Our direction for each media section. */
  direction: "sendonly" | "recvonly";
  /** Per kind, the SSRC we send with (sendonly). */
  ssrc?: { video?: number; audio?: number };
}

function toWerift(kind: "video" | "audio", c: SdpCodec): RTCRtpCodecParameters {
  const rtcpFeedback = c.feedback
    .filter((f) => f === "nack" || f === "nack pli" || f === "ccm fir")
    .map((f) => {
      const [type, parameter] = f.split(" ");
      return parameter ? { type: type!, parameter } : { type: type! };
    });
  return new RTCRtpCodecParameters({
    mimeType: `${kind}/${c.name}`,
    clockRate: c.clockRate,
    payloadType: c.payloadType,
    ...(c.channels !== undefined ? { channels: c.channels } : {}),
    ...(c.fmtpLine ? { parameters: c.fmtpLine } : {}),
    rtcpFeedback,
  });
}

/**
 * Answer `offer`: one `RTCPeerConnection` on the shared socket, DTLS server,
 * candidates = `hosts` × mux port. The caller closes `pc` (which closes the
 * transport and its routes).
 */
export async function answerOffer(
  offer: string,
  options: AnswerOptions,
): Promise<AnsweredPeer> {
  // werift's ICE ufrag has 16 bits: with many live sessions a new one can
  // collide with a registered one (the mux routes by ufrag), so try again.
  for (let attempt = 1;; attempt++) {
    try {
      return await answerOnce(offer, options);
    } catch (e) {
      if (!(e instanceof UfragInUse) || attempt >= 8) throw e;
    }
  }
}

class UfragInUse extends Error {}

async function answerOnce(
  offer: string,
  options: AnswerOptions,
): Promise<AnsweredPeer> {
  const transport = options.mux.createTransport();
  const slot: MuxSlot = { transport, taken: false };
  const interfaceAddresses = { [MUX]: slot } as unknown as Record<
    string,
    string
  >;
  const pc = new RTCPeerConnection({
    codecs: {
      video: options.video.map((c) => toWerift("video", c)),
      audio: options.audio.map((c) => toWerift("audio", c)),
    },
    headerExtensions: { video: [], audio: [] },
    iceUseIpv4: true,
    iceUseIpv6: false,
    iceUseTcp: false,
    iceServers: [],
    iceInterfaceAddresses: interfaceAddresses,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    bundlePolicy: "max-bundle",
  });
  try {
    await pc.setRemoteDescription({ type: "offer", sdp: offer });
    // werift's DTLS endpoint reads the transport from the synchronous part
    // of RTCDtlsTransport.start(), right after "connecting": the mux then
    // hands it the DTLS datagrams that arrived before (udp_mux.ts).
    for (const t of pc.getTransceivers()) {
      const dtls = t.dtlsTransport as unknown as {
        onStateChange?: { subscribe(fn: (state: string) => void): unknown };
      };
      dtls?.onStateChange?.subscribe((state) => {
        if (state === "connecting") {
          queueMicrotask(() => transport.dtlsListening());
        }
      });
    }
    for (const t of pc.getTransceivers()) {
      t.setDirection(options.direction);
      const ssrc = t.kind === "video"
        ? options.ssrc?.video
        : options.ssrc?.audio;
      if (ssrc !== undefined && options.direction === "sendonly") {
        Object.defineProperty(t.sender, "ssrc", {
          value: ssrc,
          writable: true,
        });
      }
    }
    // Prefer AES_CM_128_HMAC_SHA1_80 over werift's default AEAD_AES_128_GCM:
    // the WHEP send path has its own batch transform for it (srtp_protect.ts),
    // which costs less per packet than a node:crypto GCM cipher per packet.
    for (const t of pc.getTransceivers()) {
      const dtls = t.dtlsTransport as unknown as { srtpProfiles?: number[] };
      if (dtls && Array.isArray(dtls.srtpProfiles)) {
        dtls.srtpProfiles = [...SRTP_PREFERENCE];
      }
    }
    const answer = await pc.createAnswer();
    const passive = answer.sdp.replace(
      /a=setup:(active|actpass)/g,
      "a=setup:passive",
    );
    await pc.setLocalDescription({ type: "answer", sdp: passive });
    const local = pc.localDescription?.sdp ?? passive;
    const ufrag = /a=ice-ufrag:(\S+)/.exec(local)?.[1];
    if (!ufrag) {
      throw new StreamError(
        "Protocol",
        "Cannot answer offer: werift wrote no ICE ufrag",
      );
    }
    if (options.mux.hasUfrag(ufrag)) throw new UfragInUse(ufrag);
    options.mux.register(ufrag, transport);
    return { pc, transport, answer: withCandidates(local, options), ufrag };
  } catch (e) {
    await pc.close().catch(() => {});
    await transport.close();
    throw e;
  }
}

/** Replace werift's candidates by the advertised hosts on the mux port. */
function withCandidates(sdp: string, options: AnswerOptions): string {
  const port = options.mux.port;
  const out: string[] = [];
  const candidates = options.hosts.map((host, i) =>
    `a=candidate:${i + 1} 1 udp ${2130706431 - i} ${host} ${port} typ host`
  );
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("a=candidate:") || line === "a=end-of-candidates") {
      continue;
    }
    if (line === "") continue;
    if (line.startsWith("c=IN IP4 ")) {
      out.push(`c=IN IP4 ${options.hosts[0] ?? "0.0.0.0"}`);
      continue;
    }
    out.push(line);
    if (line.startsWith("a=ice-pwd:")) {
      out.push(...candidates, "a=end-of-candidates");
    }
  }
  return out.join("\r\n") + "\r\n";
}

/** Add a trickled remote candidate (werift's own parser validates it). */
export async function addRemoteCandidate(
  pc: RTCPeerConnection,
  candidate: string,
  mid: string | undefined,
): Promise<void> {
  await pc.addIceCandidate({
    candidate,
    sdpMid: mid ?? "0",
  } as unknown as RTCIceCandidate);
}
