// The RTMP server run against a fake StreamHost (the narrow host contract,
// no Engine): a refused publish is answered on the wire and audited through
// the host, and a play of an unknown stream is refused with StreamNotFound.
import assert from "node:assert/strict";
import {
  type AuditEvent,
  AuditPipeline,
  type Credentials,
  EventBus,
  HealthRegistry,
  ManualClock,
  type StreamHandle,
  type StreamHost,
  StreamKey,
  UnauthorizedError,
} from "../../../mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { RtmpClient, RtmpHandler } from "../../../protocols/rtmp/mod.ts";

class FakeHost implements StreamHost {
  readonly clock = new ManualClock();
  readonly events = new EventBus();
  readonly records: AuditEvent[] = [];
  readonly audit = new AuditPipeline([{ record: (r) => this.records.push(r) }]);
  readonly health = new HealthRegistry(this.clock);
  readonly #stop = new AbortController();
  readonly calls: string[] = [];
  get signal(): AbortSignal {
    return this.#stop.signal;
  }
  get accepting(): boolean {
    return !this.#stop.signal.aborted;
  }
  startPublishAuthorized(
    key: StreamKey | string,
    credentials: Credentials,
  ): Promise<StreamHandle> {
    this.calls.push(`publish ${key} ${credentials.protocol}`);
    return Promise.reject(
      new UnauthorizedError(
        "fake",
        false,
        `Cannot publish ${key}: refused by the fake host`,
      ),
    );
  }
  startPublish(key: StreamKey | string): StreamHandle {
    throw new StreamError("NotFound", `Cannot publish ${key}: fake`);
  }
  endPublish(): void {}
  getStream(): StreamHandle | undefined {
    return undefined;
  }
  authorizePlay(key: StreamKey | string): Promise<StreamHandle> {
    this.calls.push(`play ${key}`);
    return Promise.reject(
      new StreamError("NotFound", `Cannot play ${key}: no such stream`),
    );
  }
  authorize(): Promise<void> {
    return Promise.resolve();
  }
  attach(): () => void {
    return () => {};
  }
  attachOnDemand(): () => void {
    return () => {};
  }
  streams(): [] {
    return [];
  }
}

Deno.test("RtmpHandler serves a fake StreamHost: refusals come from the host", async () => {
  const host = new FakeHost();
  const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
  const controller = new AbortController();
  const served = rtmp.serve(host, controller.signal);
  try {
    const { port } = await rtmp.listening;
    const url = `rtmp://127.0.0.1:${port}/live`;
    const pub = await RtmpClient.connect(url);
    await assert.rejects(() => pub.publish("cam"), /Denied|Unauthorized/);
    pub.close();
    const player = await RtmpClient.connect(url);
    await assert.rejects(() => player.play("none"), /NotFound|StreamNotFound/);
    player.close();
    assert.deepEqual(host.calls, ["publish live/cam rtmp", "play live/none"]);
    assert.equal(StreamKey.parse("live/cam").toString(), "live/cam");
  } finally {
    controller.abort();
    await served;
  }
});
