// Per-viewer cost of the WHEP send path's SRTP step: werift's
// SrtpSession.encrypt of one shared 1,200-byte RTP packet (it builds a new
// node:crypto cipher per packet), for the two profiles Chromium negotiates
// (werift's DTLS server picks AEAD_AES_128_GCM when offered).
// Run: deno bench --allow-all bench/webrtc/srtp_bench.ts
import { Buffer } from "node:buffer";
import { type RtpPacket, SrtpSession } from "werift";
import { weriftPacket } from "../../protocols/webrtc/_srtp_send.ts";
import { SrtpProtector } from "../../protocols/webrtc/srtp_protect.ts";

function session(profile: 1 | 7): SrtpSession {
  const key = Buffer.alloc(16, 1);
  const salt = Buffer.alloc(profile === 7 ? 12 : 14, 2);
  return new SrtpSession({
    keys: {
      localMasterKey: key,
      localMasterSalt: salt,
      remoteMasterKey: key,
      remoteMasterSalt: salt,
    },
    profile,
  });
}

const bytes = new Uint8Array(1200);
bytes[0] = 0x80;
bytes[1] = 96;
const packet: RtpPacket = weriftPacket(bytes);
const gcm = session(7);
const ctr = session(1);
let seq = 0;

Deno.bench(
  "srtp: werift encrypt 1200 B, AEAD_AES_128_GCM (per packet per viewer)",
  () => {
    packet.header.sequenceNumber = seq++ & 0xffff;
    gcm.encrypt(packet.payload, packet.header);
  },
);
Deno.bench("srtp: werift encrypt 1200 B, AES_CM_128_HMAC_SHA1_80", () => {
  packet.header.sequenceNumber = seq++ & 0xffff;
  ctr.encrypt(packet.payload, packet.header);
});

// Ours (protocols/webrtc/srtp_protect.ts): one ECB cipher per session, the
// keystream of a frame's packets in one update, JS HMAC-SHA1 from
// precomputed pad states. Per packet = the figure / 6.
const ours = new SrtpProtector(new Uint8Array(16).fill(1), new Uint8Array(14));
const frame = Array.from({ length: 6 }, (_, i) => {
  const p = new Uint8Array(1200);
  p[0] = 0x80;
  p[1] = 96;
  p[3] = i;
  return p;
});
const pts = frame.map(() => 102);
Deno.bench(
  "srtp: ours, AES_CM_128_HMAC_SHA1_80, 6 × 1200 B (one frame)",
  () => {
    ours.protect(frame, pts);
  },
);
Deno.bench(
  "srtp: werift, AES_CM_128_HMAC_SHA1_80, 6 × 1200 B (one frame)",
  () => {
    for (let i = 0; i < 6; i++) {
      packet.header.sequenceNumber = seq++ & 0xffff;
      ctr.encrypt(packet.payload, packet.header);
    }
  },
);
Deno.bench("srtp: werift, AEAD_AES_128_GCM, 6 × 1200 B (one frame)", () => {
  for (let i = 0; i < 6; i++) {
    packet.header.sequenceNumber = seq++ & 0xffff;
    gcm.encrypt(packet.payload, packet.header);
  }
});
