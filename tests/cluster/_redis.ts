// A real redis-server for the cluster tests: a foreground child on 127.0.0.1,
// no persistence, killed by the test. Stop/start on the same port simulates an
// outage.
import { hasTool } from "../_tools.ts";

/** A running redis-server child. */
export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Start redis-server on `port` (default: a free one); resolves once it accepts connections. */
export async function startRedis(port = freePort()): Promise<RedisServer> {
  hasTool("redis-server");
  const child = new Deno.Command("redis-server", {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`redis-server did not start on ${port}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let stopped = false;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}
