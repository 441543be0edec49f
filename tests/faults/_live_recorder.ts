// Child process for the killed-recording fault test: an origin (Engine +
// RtmpHandler) that records every published stream live, as mp4 and flv
// (RecordingSink, sync writes), and reports each complete fragment on stdout.
// It never ends the recordings: the parent SIGKILLs it.
import { RecordingSink } from "../../media/recording/mod.ts";
import { FsStorage } from "../../media/storage/mod.ts";
import { RtmpHandler } from "../../protocols/rtmp/mod.ts";
import { Engine } from "../../src/mod.ts";

const [root] = Deno.args as [string];
const storage = new FsStorage({ root });
const engine = Engine.builder().application({ name: "live" }).build();
const out = (line: string) =>
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
engine.events.on("published", (event) => {
  const handle = engine.getStream(event.key)!;
  for (const format of ["mp4", "flv"] as const) {
    const sink = new RecordingSink({
      storage,
      key: `rec/cam.${format}`,
      format,
      sync: true,
      onEvent: (e) => {
        if (e.type === "fragment") {
          out(`fragment ${format} ${e.fragments} ${e.bytes}`);
        } else out(`event ${format} ${e.type}`);
      },
    });
    void handle.subscribe().readable.pipeTo(sink.writable).catch((error) =>
      out(`ended ${format} ${error?.code ?? error}`)
    );
  }
});
const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
void engine.serve([rtmp]);
out(`listening ${(await rtmp.listening).port}`);
