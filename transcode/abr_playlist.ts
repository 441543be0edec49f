/**
 * {@linkcode AbrPlaylists}: the HLS side of an ABR ladder. For a source
 * `live/cam` whose application has a ladder, `/live/cam/index.m3u8` IS the
 * multivariant playlist (`master.m3u8` is an alias): the source as the top
 * variant, its media playlist at the stable URI `source.m3u8` (same folder,
 * so its relative segment URIs resolve as before), and each rendition at its
 * derived stream's own path, `../cam~480p/index.m3u8`, with BANDWIDTH,
 * AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE and one audio group
 * (`#EXT-X-MEDIA` without URI: the same AAC, copied from the source, is
 * muxed in every variant). It also gives each variant's LL-HLS media
 * playlist its `EXT-X-RENDITION-REPORT`s (the siblings' last segment and
 * part). A stream without a ladder (or below every rung) keeps its media
 * playlist at `index.m3u8`; `source.m3u8` is its media playlist too.
 *
 * Why a path and not a query (`index.m3u8?variant=source`, still answered
 * as the media playlist): the variant is told apart by the path alone, so
 * a cache or CDN that keys on the path (query ignored, or normalised) can
 * never serve the multivariant text for the media playlist; LL-HLS clients
 * append `_HLS_msn`/`_HLS_part`/`_HLS_skip` to `source.m3u8` and play
 * tokens become `?token=`, the same as on any `index.m3u8`; and a signed
 * URL scheme over the stream's folder (`/live/cam/`) covers it.
 *
 * Stability: a player reads the multivariant playlist once, so the answer
 * must not change kind under it. Once a source's ladder is planned (its
 * video config is known and a rung is below its height), `index.m3u8` is
 * the multivariant playlist for the rest of the stream, listing the
 * renditions that are live; the first request of a stream whose renditions
 * are still starting is held (at most `renditionWaitMs`) until each started
 * rendition has a segment, so that early viewers see the whole ladder.
 *
 * Data path: reads the engine's streams (config frames, QoS bit rates) and
 * the packagers' current playlist text on each call; holds nothing.
 *
 * @module
 */
import { parseCodecConfig } from "../media/codec/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import {
  type HlsRenditionReport,
  type HlsVariant,
  renderMasterPlaylist,
} from "../media/hls/mod.ts";
import type { StreamHandle, StreamHost } from "../src/mod.ts";
import { parseDerivedKey } from "./ladder.ts";
import type { TranscodeService } from "./transcode_service.ts";

/**
 * Options of {@linkcode AbrPlaylists}.
 *
 * @example
 * ```ts
 * import { Engine } from "@arcly/stream";
 * import { type AbrPlaylistsOptions, TranscodeService } from "@arcly/stream/transcode";
 * const host = Engine.builder().build();
 * const options: AbrPlaylistsOptions = { host, service: new TranscodeService({ host }) };
 * ```
 */
export interface AbrPlaylistsOptions {
  /** The engine (stream configs and bit rates). */
  host: StreamHost;
  /** The transcode service (which renditions a source has). */
  service: TranscodeService;
  /** The live packagers' playlists, for rendition reports (`HlsPackaging` satisfies it). */
  playlists?: { segmenter(key: string): { playlist(): string } | undefined };
  /**
   * URI of the source's own media playlist in the multivariant playlist,
   * relative to `/{app}/{name}/` (default `source.m3u8`, which the HTTP
   * routes always answer with the source's media playlist).
   */
  sourceUri?: string;
  /**
   * Longest hold of a multivariant request while the source's started
   * renditions have no segment yet, ms (default 6000).
   */
  renditionWaitMs?: number;
}

/**
 * A live HLS packager as the HTTP routes read it (structurally the
 * `LiveHlsPlaylist` of `@arcly/stream/http`; `HlsSegmenter` satisfies it).
 *
 * @example
 * ```ts
 * import type { AbrLivePlaylist } from "@arcly/stream/transcode";
 * const live: AbrLivePlaylist = { playlist: () => "#EXTM3U\n" };
 * ```
 */
export interface AbrLivePlaylist {
  /** The media playlist text. */
  playlist(): string;
  /** The playlist with `EXT-X-SKIP` (delta update), when supported. */
  renderPlaylist?(options: { skip?: boolean }): string;
  /** A multivariant playlist pointing at `uri`, when supported. */
  masterPlaylist?(uri?: string): string;
}

/**
 * Finds the live packager of a key (structurally the `HlsPlaylistSource`
 * of `@arcly/stream/http`; `HlsPackaging` satisfies it).
 *
 * @example
 * ```ts
 * import type { AbrPlaylistSource } from "@arcly/stream/transcode";
 * const none: AbrPlaylistSource<{ playlist(): string }> = { segmenter: () => undefined };
 * ```
 */
export interface AbrPlaylistSource<L extends AbrLivePlaylist> {
  /** The live packager of `key`, if any. */
  segmenter(key: string): L | undefined;
}

/** The audio group every variant refers to. */
const AUDIO_GROUP = "audio";

/**
 * Multivariant playlists and rendition reports for ABR ladders.
 *
 * @example No renditions: no multivariant playlist
 * ```ts
 * import { Engine } from "@arcly/stream";
 * import { AbrPlaylists, TranscodeService } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * await using service = new TranscodeService({ host: engine });
 * const abr = new AbrPlaylists({ host: engine, service });
 * assert.equal(abr.multivariant("live/cam"), undefined);
 * assert.deepEqual(abr.renditionReports("live/cam"), []);
 * ```
 */
export class AbrPlaylists {
  #o: AbrPlaylistsOptions;

  /**
   * Render from `options.host` and `options.service`.
   *
   * @param options host, service, packagers
   */
  constructor(options: AbrPlaylistsOptions) {
    this.#o = options;
  }

  /** URI of the source's media playlist in the multivariant playlist. */
  get sourceUri(): string {
    return this.#o.sourceUri ?? "source.m3u8";
  }

  /**
   * Wrap the live packagers for the HTTP routes (`createHttpApp(engine,
   * { hls: abr.wrap(packaging) })`): each packager gains `abrPlaylist()`
   * ({@linkcode AbrPlaylists.abrPlaylist}), which the routes serve at
   * `index.m3u8` and `master.m3u8` when it is not undefined, and every
   * variant's media playlist carries `EXT-X-RENDITION-REPORT`s of its
   * siblings (LL-HLS).
   *
   * @param inner the packagers (`HlsPackaging`)
   * @returns the same packagers, ABR-aware
   */
  wrap<L extends AbrLivePlaylist>(
    inner: AbrPlaylistSource<L>,
  ): AbrPlaylistSource<L> {
    const withReports = (key: string, text: string): string => {
      const reports = this.renditionReports(key, inner);
      if (reports.length === 0 || !text.includes("#EXT-X-PART-INF")) {
        return text;
      }
      const lines = reports.map((r) =>
        `#EXT-X-RENDITION-REPORT:URI="${r.uri}",LAST-MSN=${r.lastMsn}` +
        (r.lastPart === undefined ? "" : `,LAST-PART=${r.lastPart}`)
      );
      const end = text.indexOf("#EXT-X-ENDLIST");
      const body = text.replace(/#EXT-X-RENDITION-REPORT:[^\n]*\n/g, "");
      if (end >= 0) {
        const at = body.indexOf("#EXT-X-ENDLIST");
        return body.slice(0, at) + lines.join("\n") + "\n" + body.slice(at);
      }
      return body.replace(/\n?$/, "\n") + lines.join("\n") + "\n";
    };
    return {
      segmenter: (key: string): L | undefined => {
        const live = inner.segmenter(key);
        if (live === undefined) return undefined;
        const overrides: Record<PropertyKey, unknown> = {
          playlist: () => withReports(key, live.playlist()),
          masterPlaylist: (uri?: string) =>
            this.multivariant(key) ?? live.masterPlaylist?.(uri) ?? "",
          abrPlaylist: () => this.abrPlaylist(key, inner),
        };
        if (live.renderPlaylist) {
          overrides.renderPlaylist = (options: { skip?: boolean }) =>
            withReports(key, live.renderPlaylist!(options));
        }
        // A proxy, not a copy: the packager's other methods (waitFor,
        // segmentState) run on the packager itself (#private fields).
        return new Proxy(live, {
          get(target, prop) {
            if (Object.hasOwn(overrides, prop)) return overrides[prop];
            const value = Reflect.get(target, prop, target);
            return typeof value === "function" ? value.bind(target) : value;
          },
        });
      },
    };
  }

  /**
   * The variants of `source`: itself first, then its live renditions.
   *
   * @param source the source key (`live/cam`)
   * @param options `alone`: list the source even when no rendition is live
   * @returns the variants (empty when no rendition is live, unless `alone`)
   */
  variants(
    source: string,
    options: { alone?: boolean } = {},
  ): HlsVariant[] {
    const { host, service } = this.#o;
    const handle = host.getStream(source);
    if (!handle || parseDerivedKey(source)) return [];
    const name = handle.key.name;
    const planned = service.renditions(source);
    if (service.mode === "on-demand") {
      // The master playlist is the first request of an HLS viewer: start
      // every rendition now (each is shared; past the cap it stays out).
      for (const r of planned) {
        const live = host.getStream(r.key);
        if (!live || live.ended) void service.ensure(r.key).catch(() => {});
      }
    }
    const renditions = planned
      .map((r) => ({ r, h: host.getStream(r.key) }))
      .filter((x): x is typeof x & { h: StreamHandle } =>
        x.h !== undefined && !x.h.ended
      );
    if (renditions.length === 0 && !(options.alone && planned.length > 0)) {
      return [];
    }
    const top = describe(handle, this.sourceUri);
    const audioBps = audioBitrate(handle);
    const out: HlsVariant[] = [top];
    for (const { r, h } of renditions) {
      const v = describe(h, `../${name}~${r.name}/index.m3u8`);
      const planned = r.videoBitrate * 1.2 + audioBps;
      out.push({
        ...v,
        width: v.width ?? r.width,
        height: v.height ?? r.height,
        frameRate: v.frameRate ?? top.frameRate,
        bandwidth: Math.max(v.bandwidth, planned),
        averageBandwidth: v.averageBandwidth ?? r.videoBitrate + audioBps,
      });
    }
    return out; // the source first, then the renditions highest first
  }

  /**
   * The multivariant playlist of `source`, or undefined when it has no live
   * rendition (then its `index.m3u8` stays its media playlist).
   *
   * @param source the source key
   * @param options `alone`: render it even when no rendition is live (the
   *   source as its one variant), as long as a rendition is planned
   * @returns the playlist text, or undefined
   */
  multivariant(
    source: string,
    options: { alone?: boolean } = {},
  ): string | undefined {
    const variants = this.variants(source, options);
    if (variants.length === 0) return undefined;
    const hasAudio = variants[0]!.codecs.some((c) => !isVideoCodec(c));
    const lines = renderMasterPlaylist(variants).split("\n");
    const out: string[] = [];
    for (const line of lines) {
      if (hasAudio && line === "#EXT-X-INDEPENDENT-SEGMENTS") {
        out.push(
          line,
          `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${AUDIO_GROUP}",NAME="main",DEFAULT=YES,AUTOSELECT=YES`,
        );
      } else if (hasAudio && line.startsWith("#EXT-X-STREAM-INF:")) {
        out.push(`${line},AUDIO="${AUDIO_GROUP}"`);
      } else out.push(line);
    }
    return out.join("\n");
  }

  /**
   * What `/{app}/{name}/index.m3u8` (and `master.m3u8`) of `key` answers
   * with: the multivariant playlist when the source's ladder is planned,
   * undefined (the media playlist stays there) when `key` is a derived
   * stream, its application has no ladder, or the source is at or below
   * every rung. While started renditions have no segment yet, waits for
   * them (polling every 50 ms, at most `renditionWaitMs`); past that, lists
   * what is live (at least the source), so the answer never turns from
   * multivariant to media playlist during a stream.
   *
   * @param key the stream key asked for
   * @param playlists the packagers (default `options.playlists`)
   * @returns the multivariant playlist text, or undefined
   *
   * @example A stream of an application without a ladder keeps its media playlist
   * ```ts
   * import { Engine } from "@arcly/stream";
   * import { AbrPlaylists, TranscodeService } from "@arcly/stream/transcode";
   * import assert from "node:assert/strict";
   *
   * await using engine = Engine.builder().build();
   * await using service = new TranscodeService({ host: engine });
   * const abr = new AbrPlaylists({ host: engine, service });
   * engine.startPublish("live/cam");
   * assert.equal(await abr.abrPlaylist("live/cam"), undefined);
   * ```
   */
  async abrPlaylist(
    key: string,
    playlists: AbrPlaylistsOptions["playlists"] = this.#o.playlists,
  ): Promise<string | undefined> {
    const { host, service } = this.#o;
    const handle = host.getStream(key);
    if (!handle || handle.ended || parseDerivedKey(key)) return undefined;
    if (service.ladderOf(handle.key.app).length === 0) return undefined;
    const hasSegment = (k: string): boolean =>
      playlists === undefined ||
      (playlists.segmenter(k)?.playlist().includes("#EXTINF") ?? false);
    const clock = host.clock;
    const deadline = clock.now() + (this.#o.renditionWaitMs ?? 6000);
    while (!handle.ended) {
      const planned = service.renditions(key);
      if (planned.length === 0) {
        // No plan yet: the source's video config is not known (wait), or
        // the source is at or below every rung / has no video (never).
        const hasVideo = handle.gopCache.configFrames()
          .some((f) => f.kind === "video");
        if (hasVideo || hasSegment(key)) return undefined;
      } else {
        if (service.mode === "on-demand") this.variants(key); // starts them
        const onDemand = service.mode === "on-demand";
        const starting = planned.filter((r) => {
          // Lazy: a rendition without a job was refused (cap): not awaited.
          if (!onDemand && service.stats(r.key) === undefined) return false;
          const h = host.getStream(r.key);
          return !h || h.ended || !hasSegment(r.key);
        });
        // (The source's own first segment is awaited too: its renditions'
        // jobs start in the same moment as its video config arrives.)
        if (starting.length === 0 && hasSegment(key)) break;
      }
      if (clock.now() >= deadline) break;
      await new Promise<void>((resolve) => clock.setTimer(50, resolve));
    }
    if (service.renditions(key).length === 0) return undefined;
    return this.multivariant(key, { alone: true });
  }

  /**
   * The `EXT-X-RENDITION-REPORT`s of `key`'s media playlist: every other
   * variant of the same source with its last segment and part.
   *
   * @param key a source or derived key
   * @param playlists the packagers (default `options.playlists`)
   * @returns the reports (empty without renditions or packagers)
   */
  renditionReports(
    key: string,
    playlists: AbrPlaylistsOptions["playlists"] = this.#o.playlists,
  ): HlsRenditionReport[] {
    if (!playlists) return [];
    const source = parseDerivedKey(key)?.source ?? key;
    const slash = source.indexOf("/");
    const name = source.slice(slash + 1);
    const reports: HlsRenditionReport[] = [];
    const siblings = [
      { key: source, uri: `../${name}/${this.sourceUri}` },
      ...this.#o.service.renditions(source).map((r) => ({
        key: r.key,
        uri: `../${name}~${r.name}/index.m3u8`,
      })),
    ];
    if (siblings.length < 2) return [];
    for (const s of siblings) {
      if (s.key === key) continue;
      const text = playlists.segmenter(s.key)?.playlist();
      const last = text === undefined ? undefined : lastPosition(text);
      if (last) reports.push({ uri: s.uri, ...last });
    }
    return reports;
  }
}

function isVideoCodec(codec: string): boolean {
  return /^(avc|hvc|hev|av01|vp09|vvc)/.test(codec);
}

function audioBitrate(handle: StreamHandle): number {
  return handle.qos().tracks.filter((t) => t.kind === "audio")
    .reduce((n, t) => n + t.bitrate, 0);
}

/** CODECS/RESOLUTION/FRAME-RATE from configs, bit rates from QoS. */
function describe(handle: StreamHandle, uri: string): HlsVariant {
  const video: string[] = [];
  const audio: string[] = [];
  let width: number | undefined, height: number | undefined;
  let frameRate: number | undefined;
  for (const config of handle.gopCache.configFrames() as MediaFrame[]) {
    try {
      const info = parseCodecConfig(config);
      (config.kind === "video" ? video : audio).push(info.codecString);
      if (config.kind === "video") {
        width = info.width;
        height = info.height;
        frameRate = info.frameRate;
      }
    } catch { /* unreadable: left out of CODECS */ }
  }
  const tracks = handle.qos().tracks;
  const avg = tracks.reduce((n, t) => n + t.bitrate, 0);
  frameRate ??= tracks.find((t) => t.kind === "video")?.fps || undefined;
  if (frameRate !== undefined) frameRate = Math.round(frameRate * 1000) / 1000;
  return {
    uri,
    bandwidth: Math.round(avg * 1.25),
    ...(avg > 0 ? { averageBandwidth: Math.round(avg) } : {}),
    codecs: [...video, ...audio],
    width,
    height,
    frameRate,
  };
}

/** The last segment (and part after it) listed in a media playlist. */
function lastPosition(
  text: string,
): { lastMsn: number; lastPart?: number } | undefined {
  const m = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  if (!m) return undefined;
  let msn = Number(m[1]);
  let segments = 0;
  let trailingParts = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXTINF:")) {
      segments++;
      trailingParts = 0;
    } else if (line.startsWith("#EXT-X-SKIP:")) {
      segments += Number(/SKIPPED-SEGMENTS=(\d+)/.exec(line)?.[1] ?? 0);
    } else if (line.startsWith("#EXT-X-PART:")) trailingParts++;
  }
  if (trailingParts > 0) {
    return { lastMsn: msn + segments, lastPart: trailingParts - 1 };
  }
  if (segments === 0) return undefined;
  msn += segments - 1;
  return { lastMsn: msn };
}
