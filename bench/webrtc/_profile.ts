// CPU profile of a Deno process started with --inspect=HOST:PORT, through
// the V8 inspector protocol (Profiler domain): start, stop, and a summary of
// self time per function (top rows), for bench/webrtc/run.ts.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/** A connected inspector session. */
export class CpuProfiler {
  #ws: WebSocket;
  #id = 0;
  #pending = new Map<number, (v: unknown) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as {
        id?: number;
        result?: unknown;
      };
      if (msg.id !== undefined) this.#pending.get(msg.id)?.(msg.result);
    };
  }

  /** Connect to the inspector on `port` (retries for up to 10 s). */
  static async connect(port: number): Promise<CpuProfiler> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const list = await (await fetch(`http://127.0.0.1:${port}/json/list`))
          .json() as { webSocketDebuggerUrl: string }[];
        const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
        await new Promise((ok, fail) => {
          ws.onopen = ok;
          ws.onerror = fail;
        });
        return new CpuProfiler(ws);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  #call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#id;
    return new Promise<T>((resolve) => {
      this.#pending.set(id, resolve as (v: unknown) => void);
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async start(): Promise<void> {
    await this.#call("Profiler.enable");
    await this.#call("Profiler.setSamplingInterval", { interval: 500 });
    await this.#call("Profiler.start");
  }

  /** Stop; write the .cpuprofile to `path`; return the top self-time rows. */
  async stop(path: string, top = 25): Promise<string[]> {
    const { profile } = await this.#call<{ profile: Profile }>("Profiler.stop");
    await Deno.writeTextFile(path, JSON.stringify(profile));
    this.#ws.close();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    for (const id of profile.samples) {
      const f = byId.get(id)!.callFrame;
      const file = f.url.split("/").slice(-2).join("/");
      const key = `${f.functionName || "(anonymous)"} ${file}:${
        f.lineNumber + 1
      }`;
      self.set(key, (self.get(key) ?? 0) + 1);
    }
    const total = profile.samples.length;
    return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map((
      [k, v],
    ) => `${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}
