/**
 * {@linkcode EngineBuilder}, the fluent way to configure an `Engine`, and
 * the plain-object options it assembles (declared in `engine_options.ts`).
 * The builder is declared beside `Engine` (each constructs the other, so
 * one file keeps the import graph acyclic); this module re-exports both.
 *
 * @module
 */
export { EngineBuilder } from "./engine.ts";
export type {
  EngineOptions,
  PumpOptions,
  ShutdownOptions,
} from "./engine_options.ts";
