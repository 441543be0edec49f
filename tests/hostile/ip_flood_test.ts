// A silent-connection flood from one address (127.0.0.2, via node:net
// localAddress) against an RTMP port capped at 100 connections. Without a
// ConnectionGate the flood fills the cap and a new viewer from another
// address (127.0.0.1) is turned away until the handshake timeout; with a gate
// (maxPerIp 20) the flood is cut at 20 and the new viewer gets in and plays.
import assert from "node:assert/strict";
import net from "node:net";
import { ConnectionGate } from "../../mod.ts";
import { RtmpClient } from "../../protocols/rtmp/mod.ts";
import {
  type HostileOrigin,
  report,
  startHostileOrigin,
  waitFor,
} from "./_origin.ts";

const FLOOD = 200;
const CAP = 100;

interface Flood {
  /** Sockets the server has not closed. */
  open(): number;
  close(): Promise<void>;
}

async function silentFlood(port: number, from: string): Promise<Flood> {
  const sockets: net.Socket[] = [];
  const closed = new Set<net.Socket>();
  const allClosed: Promise<void>[] = [];
  for (let i = 0; i < FLOOD; i++) {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: from });
    socket.on("error", () => {});
    allClosed.push(
      new Promise<void>((resolve) =>
        socket.once("close", () => {
          closed.add(socket);
          resolve();
        })
      ),
    );
    sockets.push(socket);
  }
  // every socket connected (in the server's backlog or accepted) or refused
  await Promise.all(
    sockets.map((socket) =>
      new Promise<void>((resolve) => {
        socket.once("connect", () => resolve());
        socket.once("close", () => resolve());
      })
    ),
  );
  return {
    open: () => FLOOD - closed.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(allClosed);
    },
  };
}

/** Wait until the accept loop has taken every flood socket (admitted or refused). */
async function accepted(origin: HostileOrigin, base: number): Promise<void> {
  await waitFor(
    () =>
      origin.rtmp.connectionCount + origin.rtmp.refusedConnections - base >=
        FLOOD,
    10_000,
    "accept loop drained the flood",
  );
}

async function newViewerPlays(origin: HostileOrigin): Promise<boolean> {
  try {
    const client = await RtmpClient.connect(origin.rtmpUrl, {
      timeoutMs: 2_000,
    });
    try {
      const player = await client.play(origin.legit);
      for await (const frame of player) if (!frame.config) break;
      return true;
    } finally {
      await client.close();
    }
  } catch {
    return false;
  }
}

Deno.test("hostile: without a gate, a silent flood from one address locks new viewers out", async () => {
  await using origin = await startHostileOrigin({
    rtmp: { maxConnections: CAP, handshakeTimeoutMs: 10_000 },
  });
  const base = origin.rtmp.connectionCount + origin.rtmp.refusedConnections;
  const flood = await silentFlood(origin.rtmpPort, "127.0.0.2");
  await accepted(origin, base);
  await waitFor(() => flood.open() <= CAP, 5_000, "refusals seen");
  const held = flood.open();
  const admitted = await newViewerPlays(origin);
  await flood.close();
  report(
    `no gate, cap ${CAP}: ${FLOOD} silent sockets from 127.0.0.2 → ${held} held; new viewer from 127.0.0.1 ${
      admitted ? "played" : "refused"
    }`,
  );
  assert.equal(held, CAP - 1); // the cap minus the legit publisher
  assert.equal(admitted, false);
});

Deno.test("hostile: a per-IP gate cuts the flood at maxPerIp and new viewers still play", async () => {
  const gate = new ConnectionGate({
    maxConnections: CAP,
    maxPerIp: 20,
    acceptBurst: 1_000,
  });
  await using origin = await startHostileOrigin({
    rtmp: { maxConnections: CAP, handshakeTimeoutMs: 10_000, gate },
  });
  const base = origin.rtmp.connectionCount + origin.rtmp.refusedConnections;
  const flood = await silentFlood(origin.rtmpPort, "127.0.0.2");
  await accepted(origin, base);
  await waitFor(() => flood.open() <= 20, 5_000, "refusals seen");
  const held = flood.open();
  const admitted = await newViewerPlays(origin);
  const stats = gate.stats;
  await flood.close();
  report(
    `gate maxPerIp 20, cap ${CAP}: ${FLOOD} silent sockets from 127.0.0.2 → ${held} held, ${stats.maxPerIp} refused; new viewer from 127.0.0.1 ${
      admitted ? "played" : "refused"
    }`,
  );
  assert.equal(held, 20);
  assert.equal(stats.maxPerIp, FLOOD - 20);
  assert.equal(admitted, true);
  assert.equal(gate.activeFor("127.0.0.2"), 20);
});
