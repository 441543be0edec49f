import assert from "node:assert/strict";

const MOD = new URL("../../mod.ts", import.meta.url).href;

// The child serves one handler, publishes a stream with a reading subscriber,
// and reports each lifecycle step on stdout.
const CHILD = `
import { Engine } from "${MOD}";
const engine = Engine.builder().shutdownDeadline(2000).build();
engine.events.on("shutdown", (e) => console.log("shutdown " + e.phase));
const handler = {
  name: "probe",
  serve: (_e, signal) => new Promise((resolve) => signal.addEventListener("abort", () => {
    console.log("handler saw abort");
    resolve();
  }, { once: true })),
};
const stream = engine.startPublish("live/cam");
const sub = stream.subscribe();
const reading = (async () => { for await (const _ of sub) {} console.log("subscriber drained"); })();
const served = engine.serveUntilSignal([handler]);
console.log("ready");
await served;
await reading;
console.log("served");
`;

Deno.test({
  name:
    "serveUntilSignal() turns SIGTERM into a graceful shutdown and removes its listeners",
  ignore: Deno.build.os === "windows",
  async fn() {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", CHILD],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const decoder = new TextDecoderStream();
    const reader = child.stdout.pipeThrough(decoder).getReader();
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      let buffer = "";
      let signalled = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        lines.push(...parts);
        if (!signalled && lines.includes("ready")) {
          signalled = true;
          child.kill("SIGTERM");
        }
      }
      const status = await child.status;
      const stderr = await new Response(child.stderr).text();
      assert.equal(status.code, 0, stderr);
      assert.deepEqual(lines, [
        "ready",
        "handler saw abort", // stop accepting first
        "shutdown started", // then end the streams
        "subscriber drained",
        "shutdown drained",
        "served",
      ]);
    } finally {
      clearTimeout(deadline);
    }
  },
});
