// Shared loopback fixture for RTMP tests: an engine with app "live" and an
// RtmpHandler on 127.0.0.1 port 0, closed by `await using`.
import { Engine, type MediaFrame } from "../../../mod.ts";
import type { AppSpec } from "../../../src/app_spec.ts";
import type { StreamAuthenticator } from "../../../src/auth.ts";
import type { Clock } from "../../../src/clock.ts";
import {
  RtmpHandler,
  type RtmpHandlerOptions,
} from "../../../protocols/rtmp/mod.ts";

export interface TestServer extends AsyncDisposable {
  engine: Engine;
  rtmp: RtmpHandler;
  port: number;
  url: string;
  errors: unknown[];
}

export async function startServer(
  options: {
    rtmp?: RtmpHandlerOptions;
    app?: Partial<AppSpec>;
    auth?: StreamAuthenticator;
    clock?: Clock;
  } = {},
): Promise<TestServer> {
  let builder = Engine.builder().application({ name: "live", ...options.app });
  if (options.auth) builder = builder.authenticator(options.auth);
  if (options.clock) builder = builder.clock(options.clock);
  const engine = builder.build();
  const errors: unknown[] = [];
  engine.events.on("handlerError", (e) => errors.push(e.error));
  const rtmp = new RtmpHandler({
    hostname: "127.0.0.1",
    port: 0,
    ...options.rtmp,
  });
  const served = engine.serve([rtmp]);
  const { port } = await rtmp.listening;
  return {
    engine,
    rtmp,
    port,
    url: `rtmp://127.0.0.1:${port}/live`,
    errors,
    async [Symbol.asyncDispose]() {
      await engine.shutdown({ deadlineMs: 2000 });
      await served;
    },
  };
}

export function video(
  dts: number,
  keyframe: boolean,
  options: { config?: boolean; size?: number; codec?: "h264" | "h265" } = {},
): MediaFrame {
  const data = new Uint8Array(options.size ?? 64);
  data.fill(dts & 0xff);
  return {
    kind: "video",
    codec: options.codec ?? "h264",
    trackId: 0,
    pts: dts + (options.config ? 0 : 40),
    dts,
    timescale: 1000,
    keyframe: keyframe || !!options.config,
    config: !!options.config,
    data,
  };
}

export function audio(dts: number, config = false): MediaFrame {
  return {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config,
    data: config ? new Uint8Array([0x12, 0x10]) : new Uint8Array(32).fill(7),
  };
}

/** Wait until `check()` is true, polling every 10 ms, at most `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("until(): timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
