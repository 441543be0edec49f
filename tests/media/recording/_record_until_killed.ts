// Child process for the SIGKILL test: records the demo clip to FsStorage up
// to dts 5.5 s, prints "ready", then waits to be killed (never calls end()).
import { readFlvFile } from "../../../media/flv/mod.ts";
import { RecordingSink } from "../../../media/recording/mod.ts";
import { FsStorage } from "../../../media/storage/mod.ts";

const [root, format] = Deno.args as [string, "mp4" | "flv"];
const clip = new URL("../../../examples/assets/sample.flv", import.meta.url);
const sink = new RecordingSink({
  storage: new FsStorage({ root }),
  key: `rec/cam.${format}`,
  format,
});
for (const frame of readFlvFile(await Deno.readFile(clip)).frames) {
  if (frame.dts >= 5500) break;
  await sink.push(frame);
}
await Deno.stdout.write(new TextEncoder().encode(`ready ${sink.fragments}\n`));
setInterval(() => {}, 60_000); // stay alive until SIGKILL
