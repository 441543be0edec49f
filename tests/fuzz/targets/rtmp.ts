// RTMP targets, socket-free: the handshake parser (C0C1 → S0S1S2, digest
// schemes, C2 check), the ChunkReader (arbitrary bytes in random pieces), and
// the RtmpSession state machine: real ffmpeg publish/play captures mutated at
// the byte level, and command sequences (connect, createStream, publish, play,
// deleteStream, closeStream, FCPublish, …) with one mutated AMF command
// spliced in at a random position.
import { encodeAmf0 } from "../../../media/flv/mod.ts";
import {
  ChunkReader,
  commandMessage,
  createClientAck,
  createClientHello,
  createServerHandshake,
  findDigestScheme,
  HANDSHAKE_SIZE,
  RtmpSession,
  verifyServerAck,
  writeChunks,
} from "../../../protocols/rtmp/mod.ts";
import { feedInPieces, type Random } from "../_harness.ts";
import { type FuzzTargetDef, readTestFile, simple } from "./_target.ts";

const FIXED_RANDOM = { time: 1, random: (b: Uint8Array) => b.fill(0x5a) };

/** A session past the handshake, and the bytes that got it there. */
function handshaken(): RtmpSession {
  const session = new RtmpSession({ handshake: FIXED_RANDOM });
  const hello = createClientHello(FIXED_RANDOM);
  const reply = session.feed(hello)[0];
  if (reply?.type !== "send") throw new Error("no S0S1S2");
  session.feed(
    createClientAck(reply.bytes.subarray(1, 1 + HANDSHAKE_SIZE), FIXED_RANDOM),
  );
  return session;
}

/** Feed bytes, answering publish/play the way a host would. */
function drive(session: RtmpSession, bytes: Uint8Array, random: Random): void {
  feedInPieces(bytes, random, 1400, (piece) => {
    for (const action of session.feed(piece)) {
      if (action.type === "publish") {
        if (random() < 0.8) session.acceptPublish();
        else session.refusePublish("NetStream.Publish.BadName", "busy");
      } else if (action.type === "play") {
        if (random() < 0.8) session.acceptPlay();
        else session.refusePlay("NetStream.Play.StreamNotFound", "none");
      } else if (action.type === "stopPlay") session.playEnded();
    }
    if (random() < 0.05) session.takeHeldFrames();
  });
}

const COMMANDS = [
  ["connect", 1, {
    app: "live",
    tcUrl: "rtmp://127.0.0.1/live",
    flashVer: "FMLE/3.0",
    fourCcList: ["hvc1", "av01"],
  }],
  ["releaseStream", 2, null, "cam"],
  ["FCPublish", 3, null, "cam"],
  ["createStream", 4, null],
  ["publish", 5, null, "cam?token=t", "live"],
  ["play", 5, null, "cam", -2, -1, true],
  ["receiveVideo", 0, null, false],
  ["FCUnpublish", 6, null, "cam"],
  ["closeStream", 0, null],
  ["deleteStream", 7, null, 1],
  ["getStreamLength", 8, null, "cam"],
] as const;

function commandBytes(values: Uint8Array, streamId: number): Uint8Array {
  return writeChunks(
    { csid: 3, typeId: 20, streamId, timestamp: 0 },
    values,
    128,
  );
}

/** All RTMP targets. */
export function rtmpTargets(): FuzzTargetDef[] {
  const publish = readTestFile("fuzz/corpus/rtmp_publish.bin");
  const play = readTestFile("fuzz/corpus/rtmp_play.bin");
  const afterHandshake = 1 + 2 * HANDSHAKE_SIZE;
  const amf = COMMANDS.map((c) =>
    encodeAmf0(c as unknown as Parameters<typeof encodeAmf0>[0])
  );
  return [
    simple("rtmp.handshake", [
      publish.subarray(0, 1 + HANDSHAKE_SIZE),
      createClientHello(FIXED_RANDOM),
    ], (d) => {
      findDigestScheme(d.subarray(1, 1 + HANDSHAKE_SIZE), "client");
      const reply = createServerHandshake(d, FIXED_RANDOM);
      verifyServerAck(
        d.subarray(1, 1 + HANDSHAKE_SIZE),
        reply.subarray(1 + HANDSHAKE_SIZE),
      );
    }),
    simple("rtmp.ChunkReader", [
      publish.subarray(afterHandshake),
      play.subarray(afterHandshake),
    ], (d, random) => {
      const reader = new ChunkReader();
      feedInPieces(
        d,
        random,
        random() < 0.5 ? 16 : 4096,
        (piece) => reader.feed(piece),
      );
    }),
    simple(
      "rtmp.session.bytes",
      [publish, play],
      (d, random) =>
        drive(new RtmpSession({ handshake: FIXED_RANDOM }), d, random),
    ),
    simple("rtmp.session.postHandshake", [
      publish.subarray(afterHandshake),
      play.subarray(afterHandshake),
    ], (d, random) => drive(handshaken(), d, random)),
    simple("rtmp.session.commands", amf, (d, random) => {
      // A valid command sequence with the mutated AMF command at a random place.
      const session = handshaken();
      const count = 2 + Math.floor(random() * 6);
      const at = Math.floor(random() * count);
      for (let i = 0; i < count; i++) {
        const payload = i === at ? d : amf[Math.floor(random() * amf.length)]!;
        drive(session, commandBytes(payload, random() < 0.7 ? 1 : 0), random);
      }
      drive(session, commandMessage(["deleteStream", 9, null, 1]), random);
    }),
  ];
}
