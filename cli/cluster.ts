/**
 * The CLI's cluster wiring (`--cluster`, `--advertise`, `--edge`,
 * `--origin`): an origin announces every stream it publishes in the Redis
 * directory; an edge pulls streams it does not have from their origin
 * (`EdgeRelay`) and refuses publishers (publish to an origin). Nothing here
 * is on the frame path.
 *
 * @module
 */
import type {
  AuthDecision,
  AuthRequest,
  ClusterRelay,
  Engine,
  StreamAuthenticator,
} from "../mod.ts";
import {
  ClusterAnnouncer,
  EdgeRelay,
  RedisClusterRelay,
  StaticOriginRelay,
} from "../cluster/mod.ts";
import type { OriginOptions } from "./options.ts";

/** The refusal an edge gives publishers. */
export const EDGE_PUBLISH_REFUSAL =
  "this server is an edge: publish to an origin";

/** Refuses every publish (edges); plays are left to the other authenticators. */
export const edgePublishRefusal: StreamAuthenticator = {
  authorize(request: AuthRequest): AuthDecision {
    return request.action === "publish"
      ? { allowed: false, reason: EDGE_PUBLISH_REFUSAL }
      : { allowed: true };
  },
};

/** What {@linkcode startCluster} started. */
export interface RunningCluster {
  /** The edge's on-demand puller (edge mode), or null. */
  edge: EdgeRelay | null;
  /** The directory, or null without `--cluster`. */
  relay: ClusterRelay | null;
  /** Lines for the start-up banner. */
  banner: string[];
  /** Stop announcing/pulling and disconnect. */
  close(): Promise<void>;
}

/**
 * Start the cluster roles the flags ask for.
 *
 * @param httpBase this process's own HTTP base URL (the default `--advertise`)
 */
export function startCluster(
  options: OriginOptions,
  engine: Engine,
  httpBase: string,
  log: (line: string) => void,
): RunningCluster {
  const redis = options.cluster === null ? null : RedisClusterRelay.open({
    url: options.cluster,
    onEvent: (event) => {
      if (event.type === "disconnected") {
        log(
          `cluster: Redis unreachable (${event.error}); streams keep flowing`,
        );
      } else if (event.type === "connected") log("cluster: Redis connected");
      else if (event.type === "announceFailed") {
        log(`cluster: announce ${event.key} failed: ${event.error}`);
      }
    },
  });
  const banner: string[] = [];
  const shown = options.cluster === null ? null : redactUrl(options.cluster);
  let announcer: ClusterAnnouncer | null = null;
  let edge: EdgeRelay | null = null;
  let detachEdge = (): void => {};
  const advertise = options.advertise ?? httpBase;
  if (options.edge) {
    const relay: ClusterRelay = redis ??
      new StaticOriginRelay({ origin: options.origin! });
    edge = new EdgeRelay({
      relay,
      clock: engine.clock,
      onEvent: (event) => {
        if (event.type === "pullStarted") {
          log(`edge: pulling ${event.key} from ${event.url}`);
        } else if (event.type === "pullFailed") {
          log(
            `edge: pull of ${event.key} failed (${event.error}); retry in ${event.retryInMs} ms`,
          );
        } else log(`edge: released ${event.key} (${event.reason})`);
      },
    });
    detachEdge = engine.attachOnDemand(edge);
    banner.push(
      `  cluster        edge of ${
        shown ?? options.origin
      }: streams are pulled on demand; publishing here is refused`,
    );
  } else if (redis !== null) {
    announcer = new ClusterAnnouncer({
      events: engine.events,
      relay: redis,
      advertise,
      onError: (key, error) =>
        log(`cluster: announce ${key}: ${(error as Error).message}`),
    });
    banner.push(
      `  cluster        origin in ${shown}, advertised as ${advertise}`,
    );
  }
  return {
    edge,
    relay: redis,
    banner,
    close: async () => {
      announcer?.close();
      detachEdge();
      await redis?.close();
    },
  };
}

/** `redis://user:secret@host` → `redis://user:***@host` (for logs). */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}
