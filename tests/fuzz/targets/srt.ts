// SRT targets, socket-free: the packet parser with every CIF parser behind
// it (handshake + HSREQ/SID/KM extensions, key material, NAK loss lists),
// the listener's conclusion checks, and an established SrtConnection fed
// mutated data/control packets (ACK, NAK, KM refresh, shutdown) on a manual
// clock.
import {
  buildKeyMaterial,
  decodeStreamIdExt,
  encodeStreamIdExt,
  parseHandshake,
  parseHsExt,
  parseKeyMaterial,
  parseSrtPacket,
  parseSrtStreamId,
  SrtConnection,
  SrtControlType,
  SrtCrypto,
  SrtHandshakeResponder,
  SrtHandshakeType,
  writeHandshake,
  writeHsExt,
  writeSrtControl,
  writeSrtData,
} from "../../../protocols/srt/mod.ts";
import { decodeLoss } from "../../../protocols/srt/_receiver.ts";
import type { Random } from "../_harness.ts";
import { type FuzzTargetDef, simple } from "./_target.ts";

const PASS = "fuzzing-passphrase";
const KM = buildKeyMaterial(PASS, 16).message;

function conclusion(streamId: string, km: boolean): Uint8Array {
  return writeSrtControl(
    {
      type: SrtControlType.Handshake,
      subtype: 0,
      info: 0,
      timestamp: 0,
      destinationSocketId: 0,
    },
    writeHandshake({
      version: 5,
      encryption: km ? 2 : 0,
      extension: km ? 7 : 5,
      initialSeq: 12345,
      mtu: 1500,
      flowWindow: 8192,
      type: SrtHandshakeType.Conclusion,
      socketId: 99,
      cookie: 1,
      peerIp: new Uint8Array(16),
      extensions: [
        {
          type: 1,
          content: writeHsExt({
            version: 0x010501,
            flags: 0xbf,
            receiverDelayMs: 120,
            senderDelayMs: 120,
          }),
        },
        { type: 5, content: encodeStreamIdExt(streamId) },
        ...(km ? [{ type: 3, content: KM }] : []),
      ],
    }),
  );
}

function control(
  type: number,
  info: number,
  words: number[],
  subtype = 0,
): Uint8Array {
  const cif = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(cif.buffer).setUint32(i * 4, w >>> 0));
  return writeSrtControl({
    type,
    subtype,
    info,
    timestamp: 1000,
    destinationSocketId: 1,
  }, cif);
}

function data(seq: number, keyFlags = 0): Uint8Array {
  return writeSrtData({
    seq,
    position: 3,
    inOrder: false,
    keyFlags,
    retransmitted: false,
    messageNumber: 1,
    timestamp: seq * 1000,
    destinationSocketId: 1,
  }, new Uint8Array(188).fill(0x47));
}

const PACKET_SEEDS = [
  conclusion("publish:live/cam", false),
  conclusion("#!::r=live/cam,m=request,t=x", true),
  data(12345),
  control(SrtControlType.Ack, 1, [12346, 20000, 5000, 8000, 100, 1000, 100000]),
  control(SrtControlType.Nak, 0, [12347, 0x80000000 | 12350, 12360]),
  control(SrtControlType.AckAck, 1, [0]),
  control(SrtControlType.Keepalive, 0, [0]),
];

/** Parse a datagram and every structure it may carry. */
function parseAll(input: Uint8Array): void {
  const p = parseSrtPacket(input);
  if (!p.control) return;
  if (p.type === SrtControlType.Handshake) {
    const hs = parseHandshake(p.cif);
    for (const e of hs.extensions) {
      if (e.type === 1 || e.type === 2) parseHsExt(e.content);
      else if (e.type === 3 || e.type === 4) parseKeyMaterial(e.content);
      else if (e.type === 5) parseSrtStreamId(decodeStreamIdExt(e.content));
    }
  } else if (p.type === SrtControlType.Nak) decodeLoss(p.cif, 1024);
  else if (p.type === SrtControlType.UserDefined) parseKeyMaterial(p.cif);
}

/** SRT fuzz targets. */
export function srtTargets(): FuzzTargetDef[] {
  const responder = new SrtHandshakeResponder({
    latencyMs: 120,
    passphrase: PASS,
    secret: new Uint8Array(32),
  });
  return [
    simple("srt.parse", PACKET_SEEDS, parseAll),
    simple("srt.conclude", PACKET_SEEDS.slice(0, 2), (input) => {
      const p = parseSrtPacket(input);
      if (!p.control) return;
      const result = responder.conclude(parseHandshake(p.cif));
      if ("accept" in result) {
        result.accept(5, 0);
        parseSrtStreamId(result.streamId);
      } else responder.reject(parseHandshake(p.cif), result.reject, 0);
    }),
    {
      name: "srt.connection",
      seeds: [
        [data(12345), data(12347), data(12346)],
        [
          control(SrtControlType.Nak, 0, [12345]),
          control(SrtControlType.Ack, 3, [12346, 1, 1, 1, 1, 1, 1]),
        ],
        [writeSrtControl({
          type: 0x7fff,
          subtype: 3,
          info: 0,
          timestamp: 0,
          destinationSocketId: 1,
        }, KM)],
        [data(12345, 1), control(SrtControlType.Shutdown, 0, [0])],
      ].map((packets) => {
        // frame each datagram with a 2-byte length so mutations cross packets
        const out = new Uint8Array(
          packets.reduce((n, p) => n + 2 + p.length, 0),
        );
        let at = 0;
        for (const p of packets) {
          out[at] = p.length >> 8;
          out[at + 1] = p.length & 0xff;
          out.set(p, at + 2);
          at += 2 + p.length;
        }
        return out;
      }),
      prepare: () => {
        const keys = new SrtCrypto(PASS); // PBKDF2 once, not per case
        keys.install(KM);
        return {
          run(input: Uint8Array, random: Random) {
            let now = 0;
            const conn = new SrtConnection({
              localSocketId: 1,
              peerSocketId: 2,
              initialSeq: 12345,
              receiveLatencyMs: 120,
              sendLatencyMs: 120,
              startMs: 0,
              crypto: keys,
              receiveCapacity: 64,
              sendCapacity: 64,
              send: () => {},
              deliver: () => {},
            }, 0);
            for (let i = 0; i < 4; i++) {
              conn.sendPayload(new Uint8Array(100), now);
            }
            let at = 0;
            while (at + 2 <= input.length) {
              const n = (input[at]! << 8) | input[at + 1]!;
              const datagram = input.subarray(at + 2, at + 2 + n);
              at += 2 + n;
              conn.handle(parseSrtPacket(datagram), now); // only the parser may refuse
              now += random() * 50;
              conn.tick(now);
            }
          },
        };
      },
    },
  ];
}
