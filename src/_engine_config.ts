// Engine option defaults and validation (the named limits with their whys).
import { StreamError } from "../media/stream_error.ts";
import {
  type AppSpec,
  resolveAppSpec,
  type ResolvedAppSpec,
} from "./app_spec.ts";
import type { EngineOptions } from "./engine_options.ts";
import { StreamKey } from "./stream_key.ts";

/** Default `maxPublishers`: a generous cap that still bounds memory. */
export const DEFAULT_MAX_PUBLISHERS = 1_000;
/** Default idle timeout: live encoders send several frames per second. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/**
 * Default shutdown drain: long enough to flush the last segments, short enough
 * for orchestrators that SIGKILL ~30 s after SIGTERM.
 */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 5_000;
/** Default tick: reaper and stall checks at 1 s resolution. */
export const DEFAULT_TICK_INTERVAL_MS = 1_000;
/** Default wait for an on-demand source's first frame (an upstream connect and a keyframe). */
export const DEFAULT_ON_DEMAND_TIMEOUT_MS = 10_000;
/** Default life of an on-demand stream without viewers (a player's reconnect fits in it). */
export const DEFAULT_ON_DEMAND_GRACE_MS = 10_000;

export interface EngineConfig {
  readonly maxPublishers: number;
  readonly idleTimeoutMs: number;
  readonly shutdownDeadlineMs: number;
  readonly tickIntervalMs: number;
  readonly onDemandTimeoutMs: number;
  readonly onDemandGraceMs: number;
  /** Declared apps; empty means "any app, with defaults". */
  readonly apps: ReadonlyMap<string, ResolvedAppSpec>;
  /** The settings of an undeclared app (when none is declared). */
  readonly defaultApp: Omit<AppSpec, "name">;
}

function positive(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  const v = value ?? fallback;
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new StreamError(
      "InvalidInput",
      `Cannot build engine: ${name} must be a positive number, got ${v}`,
    );
  }
  return v;
}

export function resolveEngineConfig(options: EngineOptions): EngineConfig {
  const apps = new Map<string, ResolvedAppSpec>();
  for (const spec of options.applications ?? []) {
    const resolved = resolveAppSpec(spec);
    if (apps.has(resolved.name)) {
      throw new StreamError(
        "InvalidInput",
        `Cannot build engine: application ${resolved.name} is declared twice`,
      );
    }
    apps.set(resolved.name, resolved);
  }
  const defaultApp = { ...(options.defaultApplication ?? {}) };
  resolveAppSpec({ ...defaultApp, name: "default" }); // validate once, at build
  return {
    defaultApp,
    maxPublishers: positive(
      "maxPublishers",
      options.maxPublishers,
      DEFAULT_MAX_PUBLISHERS,
    ),
    idleTimeoutMs: positive(
      "idleTimeoutMs",
      options.idleTimeoutMs,
      DEFAULT_IDLE_TIMEOUT_MS,
    ),
    shutdownDeadlineMs: positive(
      "shutdownDeadlineMs",
      options.shutdownDeadlineMs,
      DEFAULT_SHUTDOWN_DEADLINE_MS,
    ),
    tickIntervalMs: positive(
      "tickIntervalMs",
      options.tickIntervalMs,
      DEFAULT_TICK_INTERVAL_MS,
    ),
    onDemandTimeoutMs: positive(
      "onDemandTimeoutMs",
      options.onDemandTimeoutMs,
      DEFAULT_ON_DEMAND_TIMEOUT_MS,
    ),
    onDemandGraceMs: positive(
      "onDemandGraceMs",
      options.onDemandGraceMs,
      DEFAULT_ON_DEMAND_GRACE_MS,
    ),
    apps,
  };
}

/** The spec for `app`: declared, or the defaults when no app is declared. */
export function appSpecFor(
  config: EngineConfig,
  app: string,
): ResolvedAppSpec | undefined {
  if (config.apps.size > 0) return config.apps.get(app);
  try {
    // Not cached: app names come from peers.
    return resolveAppSpec({ ...config.defaultApp, name: app });
  } catch {
    return undefined; // not a valid app name: treated as an unknown app
  }
}

export function toKey(key: StreamKey | string): StreamKey {
  return typeof key === "string" ? StreamKey.parse(key) : key;
}
