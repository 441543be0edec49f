/**
 * arcly-stream: a live-media streaming kernel for Deno.
 *
 * The root export is the kernel (`Engine`, `StreamKey`, `StreamHandle`,
 * subscriptions, GOP cache, contracts) and the shared frame model. Media
 * formats, RTMP and HTTP are opt-in subpath exports (`@arcly/stream/media`,
 * `@arcly/stream/rtmp`, `@arcly/stream/http`, …); importing the root never
 * loads Hono.
 *
 * @module
 */
export * from "./media/frame.ts";
export * from "./media/stream_error.ts";
export * from "./src/mod.ts";
