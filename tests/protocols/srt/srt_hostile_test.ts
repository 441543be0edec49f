// Hostile traffic at the SRT listener: a handshake flood from many source
// addresses (inductions, then conclusions with forged cookies) allocates no
// connection and no pending slot; garbage datagrams are counted and dropped;
// a data packet for an unknown socket id is stray; a real caller still gets
// in afterwards.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import {
  encodeStreamIdExt,
  parseHandshake,
  parseSrtPacket,
  SrtControlType,
  SrtHandshakeType,
  writeHandshake,
  writeHsExt,
  writeSrtControl,
  writeSrtData,
} from "../../../protocols/srt/mod.ts";
import { startSrtOrigin, until } from "./_srt_fixture.ts";

function handshake(
  type: number,
  socketId: number,
  cookie: number,
  streamId?: string,
): Uint8Array {
  return writeSrtControl(
    {
      type: SrtControlType.Handshake,
      subtype: 0,
      info: 0,
      timestamp: 0,
      destinationSocketId: 0,
    },
    writeHandshake({
      version: type === SrtHandshakeType.Induction ? 4 : 5,
      encryption: 0,
      extension: type === SrtHandshakeType.Induction ? 2 : 5,
      initialSeq: 1000,
      mtu: 1500,
      flowWindow: 8192,
      type,
      socketId,
      cookie,
      peerIp: new Uint8Array(16),
      extensions: type === SrtHandshakeType.Induction ? [] : [
        {
          type: 1,
          content: writeHsExt({
            version: 0x010500,
            flags: 0x3f,
            receiverDelayMs: 120,
            senderDelayMs: 120,
          }),
        },
        ...(streamId
          ? [{ type: 5, content: encodeStreamIdExt(streamId) }]
          : []),
      ],
    }),
  );
}

async function sockets(n: number): Promise<dgram.Socket[]> {
  const out: dgram.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
    out.push(s);
  }
  return out;
}

Deno.test("a handshake flood with forged cookies from 200 addresses allocates nothing; garbage is counted", async () => {
  await using origin = await startSrtOrigin();
  const flood = await sockets(200);
  let answers = 0;
  for (const s of flood) s.on("message", () => answers++);
  try {
    flood.forEach((s, i) =>
      s.send(
        handshake(SrtHandshakeType.Induction, 10 + i, 0),
        origin.port,
        "127.0.0.1",
      )
    );
    await until(() => answers >= 190, 10_000, "induction answers");
    flood.forEach((s, i) =>
      s.send(
        handshake(
          SrtHandshakeType.Conclusion,
          10 + i,
          0xdead0000 + i,
          "publish:live/flood",
        ),
        origin.port,
        "127.0.0.1",
      )
    );
    const garbage = [new Uint8Array(3), new Uint8Array(15).fill(0xff)];
    const badHandshake = writeSrtControl(
      {
        type: SrtControlType.Handshake,
        subtype: 0,
        info: 0,
        timestamp: 0,
        destinationSocketId: 0,
      },
      new Uint8Array(20),
    );
    const stray = writeSrtData({
      seq: 1,
      position: 3,
      inOrder: false,
      keyFlags: 0,
      retransmitted: false,
      messageNumber: 1,
      timestamp: 0,
      destinationSocketId: 12345,
    }, new Uint8Array(188));
    for (let i = 0; i < 100; i++) {
      for (const g of [...garbage, badHandshake, stray]) {
        flood[i]!.send(g, origin.port, "127.0.0.1");
      }
    }
    await until(
      () =>
        origin.srt.stats.badCookies >= 150 && origin.srt.stats.garbage >= 150,
      10_000,
      "counters",
    ).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(origin.srt.stats)}`);
    });
    const s = origin.srt.stats;
    assert.equal(s.connections, 0);
    assert.equal(s.pending, 0);
    assert.equal(s.accepted, 0);
    assert.ok(s.stray >= 50, `stray ${s.stray}`);
    assert.equal(origin.engine.getStream("live/flood"), undefined);
    // a caller that returns the cookie it was given still gets in
    const good = flood[0]!;
    const replies: Uint8Array[] = [];
    good.removeAllListeners("message");
    good.on("message", (m: Uint8Array) => replies.push(new Uint8Array(m)));
    good.send(
      handshake(SrtHandshakeType.Induction, 777, 0),
      origin.port,
      "127.0.0.1",
    );
    await until(() => replies.length > 0, 5_000, "induction");
    const p = parseSrtPacket(replies[0]!);
    assert.ok(p.control);
    if (!p.control) return;
    const answer = parseHandshake(p.cif);
    assert.equal(answer.extension, 0x4a17);
    assert.equal(answer.version, 5);
    good.send(
      handshake(
        SrtHandshakeType.Conclusion,
        777,
        answer.cookie,
        "publish:live/real",
      ),
      origin.port,
      "127.0.0.1",
    );
    await until(() => replies.length > 1, 5_000, "conclusion answer");
    const done = parseSrtPacket(replies[1]!);
    assert.ok(
      done.control &&
        parseHandshake(done.cif).type === SrtHandshakeType.Conclusion,
    );
    assert.equal(origin.srt.stats.connections, 1);
    assert.ok(origin.engine.getStream("live/real"));
  } finally {
    await Promise.all(
      flood.map((s) => new Promise<void>((r) => s.close(() => r()))),
    );
  }
});
