// RtmpSession on byte arrays: no sockets.
import assert from "node:assert/strict";
import {
  Amf0EcmaArray,
  decodeAmf0,
  encodeAmf0,
} from "../../../media/flv/mod.ts";
import {
  ChunkReader,
  commandMessage,
  createClientAck,
  createClientHello,
  MessageType,
  type RtmpMessage,
  RtmpSession,
  type SessionAction,
  TimestampUnwrapper,
  UserControlEvent,
  userControlMessage,
  writeChunks,
} from "../../../protocols/rtmp/mod.ts";

/** A session past the handshake, and a reader for what it sends. */
function connected(connect: Record<string, unknown> = { app: "live" }) {
  const session = new RtmpSession({ chunkSize: 4096 });
  const replies = new ChunkReader();
  const hs = session.feed(createClientHello());
  const s1 = (hs[0] as { bytes: Uint8Array }).bytes.subarray(1, 1537);
  session.feed(createClientAck(s1));
  const sent: RtmpMessage[] = [];
  const feed = (bytes: Uint8Array): SessionAction[] => {
    const actions = session.feed(bytes);
    for (const a of actions) {
      if (a.type === "send") sent.push(...replies.feed(a.bytes));
    }
    return actions;
  };
  const accept = (bytes: Uint8Array[]) => {
    for (const b of bytes) sent.push(...replies.feed(b));
  };
  // deno-lint-ignore no-explicit-any
  feed(commandMessage(["connect", 1, connect as any]));
  return { session, feed, sent, accept };
}

function commands(messages: RtmpMessage[]) {
  return messages.filter((m) => m.typeId === MessageType.CommandAmf0)
    .map((m) => decodeAmf0(m.payload));
}

Deno.test("RtmpSession answers connect with window, bandwidth, chunk size and _result (objectEncoding 0 even when AMF3 is asked)", () => {
  const { session, sent } = connected({
    app: "live?token=t1",
    objectEncoding: 3,
    tcUrl: "rtmp://h/live?x=1",
  });
  assert.deepEqual(sent.slice(0, 3).map((m) => m.typeId), [5, 6, 1]);
  const [result] = commands(sent);
  assert.equal(result![0], "_result");
  assert.equal(result![1], 1);
  const info = result![3] as Record<string, unknown>;
  assert.equal(info.code, "NetConnection.Connect.Success");
  assert.equal(info.objectEncoding, 0);
  assert.equal(session.app, "live");
  assert.equal(session.chunkSize, 4096);
});

Deno.test("RtmpSession publish flow: query merged from connect and name, Publish.Start after accept, frames after that", () => {
  const { session, feed, sent, accept } = connected({ app: "live?token=t1" });
  feed(commandMessage(["releaseStream", 2, null, "cam"]));
  feed(commandMessage(["FCPublish", 3, null, "cam"]));
  feed(commandMessage(["createStream", 4, null]));
  const before = feed(
    writeChunks(
      { csid: 4, typeId: 8, streamId: 1, timestamp: 0 },
      new Uint8Array([0xaf, 0, 0x12, 0x10]),
      128,
    ),
  );
  assert.deepEqual(before, []); // media before publish is dropped
  const actions = feed(
    commandMessage(["publish", 5, null, "cam?sig=9", "live"], { streamId: 1 }),
  );
  const publish = actions.find((a) => a.type === "publish");
  assert.ok(publish && publish.type === "publish");
  assert.equal(publish.name, "cam");
  assert.equal(publish.query.get("token"), "t1");
  assert.equal(publish.query.get("sig"), "9");
  accept(session.acceptPublish());
  const statuses = commands(sent).filter((c) => c[0] === "onStatus");
  assert.equal(
    (statuses.at(-1)![3] as Record<string, unknown>).code,
    "NetStream.Publish.Start",
  );
  const results = commands(sent).filter((c) => c[0] === "_result").map((c) =>
    c[1]
  );
  assert.deepEqual(results, [1, 2, 3, 4]);
  const meta = feed(
    writeChunks(
      { csid: 5, typeId: 18, streamId: 1, timestamp: 0 },
      encodeAmf0([
        "@setDataFrame",
        "onMetaData",
        new Amf0EcmaArray({ width: 64 }),
      ]),
      4096,
    ),
  );
  const frames = meta.find((a) => a.type === "frames");
  assert.ok(frames && frames.type === "frames");
  assert.deepEqual(decodeAmf0(frames.frames[0]!.data)[0], "onMetaData");
  const aac = feed(
    writeChunks(
      { csid: 4, typeId: 8, streamId: 1, timestamp: 0 },
      new Uint8Array([0xaf, 0, 0x12, 0x10]),
      128,
    ),
  );
  assert.equal(aac.find((a) => a.type === "frames")?.type, "frames");
  assert.deepEqual(
    feed(commandMessage(["deleteStream", 6, null, 1])).filter((a) =>
      a.type !== "send"
    ),
    [{ type: "unpublish" }],
  );
});

Deno.test("RtmpSession refusals leave the session idle and able to retry", () => {
  const { session, feed, sent, accept } = connected();
  feed(commandMessage(["publish", 2, null, "cam", "live"], { streamId: 1 }));
  accept(session.refusePublish("NetStream.Publish.BadName", "busy"));
  assert.equal(session.state, "idle");
  const last = commands(sent).at(-1)!;
  assert.equal(
    (last[3] as Record<string, unknown>).code,
    "NetStream.Publish.BadName",
  );
  feed(
    commandMessage(["play", 3, null, "cam", -2, -1, false], { streamId: 1 }),
  );
  accept(session.refusePlay("NetStream.Play.StreamNotFound", "no"));
  assert.equal(session.state, "idle");
  const play = feed(commandMessage(["play", 4, null, "cam"], { streamId: 1 }))
    .find((a) => a.type === "play");
  assert.ok(play && play.type === "play");
  assert.equal(play.start, -2);
  assert.equal(play.reset, true);
  accept(session.acceptPlay());
  const codes = commands(sent).filter((c) => c[0] === "onStatus").map((c) =>
    (c[3] as Record<string, unknown>).code
  );
  assert.deepEqual(codes.slice(-2), [
    "NetStream.Play.Reset",
    "NetStream.Play.Start",
  ]);
});

Deno.test("RtmpSession answers pings, unknown calls with _error, and acknowledges every window", () => {
  const { feed, sent } = connected();
  feed(userControlMessage(UserControlEvent.PingRequest, 1234));
  const pong = sent.at(-1)!;
  assert.equal(pong.typeId, MessageType.UserControl);
  assert.deepEqual([...pong.payload], [0, 7, 0, 0, 0x04, 0xd2]);
  feed(commandMessage(["bogusCall", 9, null]));
  assert.equal(commands(sent).at(-1)![0], "_error");
  const win = new Uint8Array(4);
  new DataView(win.buffer).setUint32(0, 1000);
  feed(
    writeChunks({ csid: 2, typeId: 5, streamId: 0, timestamp: 0 }, win, 128),
  );
  feed(commandMessage(["getStreamLength", 10, null, "x".repeat(1000)]));
  assert.ok(sent.some((m) => m.typeId === MessageType.Acknowledgement));
});

Deno.test("RtmpSession refuses commands before connect and AMF3 data", () => {
  const session = new RtmpSession();
  const s =
    (session.feed(createClientHello())[0] as { bytes: Uint8Array }).bytes;
  session.feed(createClientAck(s.subarray(1, 1537)));
  assert.throws(() => session.feed(commandMessage(["createStream", 2, null])));
  const { feed } = connected();
  assert.throws(() =>
    feed(
      writeChunks(
        { csid: 3, typeId: 15, streamId: 0, timestamp: 0 },
        new Uint8Array([0, 2]),
        128,
      ),
    )
  );
});

Deno.test("TimestampUnwrapper keeps tracks monotonic across the 32-bit wrap", () => {
  const u = new TimestampUnwrapper();
  const raw = [0xfffffff0, 0xfffffffa, 5, 30, 20, 0x7fffffff];
  assert.deepEqual(raw.map((r) => u.unwrap(r)), [
    0xfffffff0,
    0xfffffffa,
    0x100000005,
    0x10000001e,
    0x10000001e,
    0x17fffffff,
  ]);
});

Deno.test("MediaIngest: aggregate messages are split into their tags with rebased timestamps", async () => {
  const { MediaIngest } = await import("../../../protocols/rtmp/mod.ts");
  const tag = (type: number, ts: number, body: number[]) => [
    type,
    0,
    0,
    body.length,
    (ts >> 16) & 0xff,
    (ts >> 8) & 0xff,
    ts & 0xff,
    0,
    0,
    0,
    0,
    ...body,
    0,
    0,
    0,
    11 + body.length,
  ];
  const payload = new Uint8Array([
    ...tag(8, 1000, [0xaf, 1, 1, 2]),
    ...tag(8, 1023, [0xaf, 1, 3, 4]),
  ]);
  const { frames } = new MediaIngest().toFrames({
    csid: 4,
    typeId: 22,
    streamId: 1,
    timestamp: 500,
    payload,
  });
  assert.deepEqual(frames.map((f) => f.dts), [500, 523]);
  assert.deepEqual([...frames[1]!.data], [3, 4]);
});

Deno.test("RtmpSession play(reset = false) gets Play.Start without Play.Reset", () => {
  const { session, feed, sent, accept } = connected();
  feed(
    commandMessage(["play", 2, null, "cam", -2, -1, false], { streamId: 1 }),
  );
  accept(session.acceptPlay());
  const codes = commands(sent).filter((c) => c[0] === "onStatus").map((c) =>
    (c[3] as Record<string, unknown>).code
  );
  assert.deepEqual(codes, ["NetStream.Play.Start"]);
});

Deno.test("RtmpSession handshake: C0+C1 whole, byte by byte, or with C2 and connect in one read answers the same", () => {
  const hello = createClientHello({ time: 0 });
  const connect = commandMessage(["connect", 1, { app: "live" }]);
  const handshakeOf = (pieces: Uint8Array[]) => {
    const session = new RtmpSession({
      handshake: { random: (b: Uint8Array) => b.fill(9) },
    });
    const actions = pieces.flatMap((p) => session.feed(p));
    return { session, actions };
  };
  const whole = handshakeOf([hello]);
  const s0s1s2 = (whole.actions[0] as { bytes: Uint8Array }).bytes;
  assert.equal(s0s1s2.length, 3073);
  const bytewise = handshakeOf([...hello].map((b) => Uint8Array.of(b)));
  assert.deepEqual(
    (bytewise.actions[0] as { bytes: Uint8Array }).bytes,
    s0s1s2,
  );
  // The reply does not alias the input: the caller reuses its read buffer.
  const input = hello.slice();
  const again = handshakeOf([input]);
  input.fill(0);
  assert.deepEqual((again.actions[0] as { bytes: Uint8Array }).bytes, s0s1s2);
  // C2 (its content unchecked) and connect in the read after S0+S1+S2.
  const c2 = createClientAck(s0s1s2.subarray(1, 1537));
  const rest = new Uint8Array(c2.length + connect.length);
  rest.set(c2);
  rest.set(connect, c2.length);
  const actions = whole.session.feed(rest);
  assert.ok(whole.session.handshakeDone);
  assert.equal(whole.session.app, "live");
  assert.ok(actions.some((a) => a.type === "connect"));
  // C0+C1+C2 split across reads at odd places.
  const split = new RtmpSession();
  split.feed(hello.subarray(0, 1000));
  split.feed(hello.subarray(1000));
  split.feed(c2.subarray(0, 7));
  assert.equal(split.handshakeDone, false);
  split.feed(c2.subarray(7));
  assert.ok(split.handshakeDone);
});
