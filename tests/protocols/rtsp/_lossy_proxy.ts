// A tiny RTSP proxy for loss tests: TCP to the camera, with each SETUP's
// `client_port=a-b` rewritten to a relay pair that forwards the camera's
// UDP to the real client ports, dropping a fraction of the RTP packets
// (RTCP is forwarded as is). Test-only, bounded: closes everything on dispose.
import dgram from "node:dgram";

export interface LossyProxy extends AsyncDisposable {
  port: number;
  dropped: number;
  forwarded: number;
}

export function lossyRtspProxy(
  target: number,
  loss: number,
): LossyProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sockets: dgram.Socket[] = [];
  const conns: Deno.Conn[] = [];
  const state: LossyProxy = {
    port: (listener.addr as Deno.NetAddr).port,
    dropped: 0,
    forwarded: 0,
    [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      for (const s of sockets) {
        try {
          s.close();
        } catch { /* closed */ }
      }
      return Promise.resolve();
    },
  };
  const relay = async (clientPort: number, rtcp: boolean): Promise<number> => {
    const s = dgram.createSocket("udp4");
    sockets.push(s);
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
    s.on("message", (msg: Uint8Array) => {
      if (!rtcp && Math.random() < loss) {
        state.dropped++;
        return;
      }
      state.forwarded++;
      s.send(msg, clientPort, "127.0.0.1");
    });
    return s.address().port;
  };
  (async () => {
    for await (const client of listener) {
      conns.push(client);
      const server = await Deno.connect({
        hostname: "127.0.0.1",
        port: target,
      });
      conns.push(server);
      // camera → client as is
      server.readable.pipeTo(client.writable).catch(() => {});
      // client → camera with client_port rewritten
      (async () => {
        const w = server.writable.getWriter();
        for await (const chunk of client.readable) {
          let text = new TextDecoder("latin1").decode(chunk);
          const m = /client_port=(\d+)-(\d+)/.exec(text);
          if (m) {
            const a = await relay(Number(m[1]), false);
            const b = await relay(Number(m[2]), true);
            text = text.replace(m[0], `client_port=${a}-${b}`);
          }
          await w.write(Uint8Array.from(text, (c) => c.charCodeAt(0)));
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  return state;
}
