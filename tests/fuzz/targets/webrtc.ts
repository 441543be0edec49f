// WebRTC signalling targets, socket-free: the SDP offer reader (a real
// Chromium-shaped offer mutated at the byte level), the trickle-ICE fragment
// reader, the STUN USERNAME reader of the shared UDP port, and the SRTP
// transform's RTP header reader (srtp_protect.ts). Only
// StreamError may escape.
import {
  dtlsHandshakeKeys,
  parseSdpOffer,
  parseTrickleFragment,
  stunBindingUsername,
} from "../../../protocols/webrtc/mod.ts";
import { SrtpProtector } from "../../../protocols/webrtc/srtp_protect.ts";
import { syntheticOffer } from "../../protocols/webrtc/_offers.ts";
import { type FuzzTargetDef, simple } from "./_target.ts";

const text = new TextEncoder();
const fatal = new TextDecoder("utf-8", { fatal: false });

function stunSeed(): Uint8Array {
  const name = text.encode("srv1:cli1");
  const msg = new Uint8Array(20 + 4 + 12 + 8);
  const view = new DataView(msg.buffer);
  view.setUint16(0, 0x0001);
  view.setUint16(2, 24);
  view.setUint32(4, 0x2112a442);
  view.setUint16(20, 0x0006);
  view.setUint16(22, name.length);
  msg.set(name, 24);
  view.setUint16(36, 0x8028); // FINGERPRINT-shaped tail
  view.setUint16(38, 4);
  return msg;
}

const srtp = new SrtpProtector(new Uint8Array(16), new Uint8Array(14));

/** An RTP packet (with a one-word header extension when `ext`). */
function rtpSeed(ext: boolean): Uint8Array {
  const p = new Uint8Array(ext ? 40 : 32);
  p[0] = ext ? 0x90 : 0x80;
  p[1] = 96;
  if (ext) {
    p[12] = 0xbe;
    p[13] = 0xde;
    p[15] = 1;
  }
  return p;
}

/** The WebRTC targets. */
export function webrtcTargets(): FuzzTargetDef[] {
  return [
    simple(
      "webrtc.sdpOffer",
      [
        text.encode(syntheticOffer()),
        text.encode(syntheticOffer({ video: "VP8", direction: "sendonly" })),
      ],
      (input) => parseSdpOffer(fatal.decode(input)),
    ),
    simple(
      "webrtc.trickleFragment",
      [
        text.encode(
          "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0\r\na=end-of-candidates\r\n",
        ),
      ],
      (input) => parseTrickleFragment(fatal.decode(input)),
    ),
    simple(
      "webrtc.dtlsHandshakeKeys",
      [Uint8Array.from([
        22,
        0xfe,
        0xfd,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        12,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ])],
      (input) => dtlsHandshakeKeys(input),
    ),
    simple(
      "webrtc.stunUsername",
      [stunSeed()],
      (input) => stunBindingUsername(input),
    ),
    simple(
      "webrtc.srtpProtect",
      [rtpSeed(false), rtpSeed(true)],
      (input) => srtp.protect([input], [96]),
    ),
  ];
}
