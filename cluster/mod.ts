/**
 * Scale-out: {@linkcode RedisClusterRelay} (a stream directory on Redis),
 * {@linkcode ClusterAnnouncer} (an origin announces what it serves) and
 * {@linkcode HttpFlvPullSource} (an edge pulls a stream from its origin over
 * the origin's own HTTP-FLV, once per stream however many local viewers).
 *
 * @module
 */
export * from "./cluster_announcer.ts";
export * from "./http_flv_pull.ts";
export * from "./redis_cluster_relay.ts";
export * from "./edge_relay.ts";
export * from "./static_origin_relay.ts";
// Kernel types in this module's signatures, for the docs (types only).
export type * from "../src/mod.ts";
export type * from "../media/frame.ts";
export type * from "../media/stream_error.ts";
