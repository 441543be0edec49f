/**
 * The SRT listener's counters as metric samples (internal): totals of every
 * connection (closed ones folded in when they close, open ones read live),
 * handshake outcomes, and reject counts by code (labels bounded to the
 * reject codes the listener sends; anything else is `other`).
 *
 * Memory: a fixed set of numbers and a map of at most one entry per known
 * reject code plus `other`.
 *
 * @module
 */
import type { SrtConnectionStats } from "./connection_types.ts";
import { SrtRejectReason } from "./handshake_constants.ts";
import type { MetricSample } from "../../src/contracts.ts";

/** Summed connection counters: every counter of a connection (not its RTT). */
export type SrtTotals = Omit<SrtConnectionStats, "rttMs">;

/** All zero. */
export function zeroTotals(): SrtTotals {
  return {
    receivedPackets: 0,
    receivedBytes: 0,
    receivedLost: 0,
    receivedDropped: 0,
    receivedRetransmitted: 0,
    undecrypted: 0,
    sentPackets: 0,
    sentBytes: 0,
    sentRetransmitted: 0,
    sentDropped: 0,
    naksSent: 0,
    naksReceived: 0,
  };
}

/** Add one connection's counters to `t`. */
export function addStats(t: SrtTotals, s: SrtConnectionStats): void {
  t.receivedPackets += s.receivedPackets;
  t.receivedBytes += s.receivedBytes;
  t.receivedLost += s.receivedLost;
  t.receivedDropped += s.receivedDropped;
  t.receivedRetransmitted += s.receivedRetransmitted;
  t.undecrypted += s.undecrypted;
  t.sentPackets += s.sentPackets;
  t.sentBytes += s.sentBytes;
  t.sentRetransmitted += s.sentRetransmitted;
  t.sentDropped += s.sentDropped;
  t.naksSent += s.naksSent;
  t.naksReceived += s.naksReceived;
}

const KNOWN_REJECTS: ReadonlySet<number> = new Set(
  Object.values(SrtRejectReason),
);

/** The label of a reject code: the code itself when known, else "other". */
export function rejectLabel(code: number): string {
  return KNOWN_REJECTS.has(code) ? String(code) : "other";
}

/** Listener-level counts next to the totals. */
export interface SrtListenerCounts {
  publishers: number;
  readers: number;
  pending: number;
  accepted: number;
  garbage: number;
  badCookies: number;
  stray: number;
}

/** The samples `SrtHandler.collectMetrics()` returns. */
export function srtSamples(
  t: SrtTotals,
  c: SrtListenerCounts,
  rejects: ReadonlyMap<string, number>,
): MetricSample[] {
  const counter = (
    name: string,
    help: string,
    value: number,
    labels?: Record<string, string>,
  ): MetricSample => ({
    name,
    help,
    type: "counter",
    value,
    ...(labels ? { labels } : {}),
  });
  const samples: MetricSample[] = [
    {
      name: "arcly_srt_sessions",
      help: "Open SRT connections by mode (publish, read).",
      type: "gauge",
      value: c.publishers,
      labels: { mode: "publish" },
    },
    {
      name: "arcly_srt_sessions",
      help: "Open SRT connections by mode (publish, read).",
      type: "gauge",
      value: c.readers,
      labels: { mode: "read" },
    },
    {
      name: "arcly_srt_pending_handshakes",
      help: "SRT conclusions waiting for authorization.",
      type: "gauge",
      value: c.pending,
    },
    counter(
      "arcly_srt_accepted_total",
      "SRT connections accepted.",
      c.accepted,
    ),
    counter(
      "arcly_srt_received_packets_total",
      "SRT data packets received.",
      t.receivedPackets,
    ),
    counter(
      "arcly_srt_received_bytes_total",
      "SRT payload bytes received and delivered in order.",
      t.receivedBytes,
    ),
    counter(
      "arcly_srt_received_retransmitted_packets_total",
      "Retransmitted SRT data packets received.",
      t.receivedRetransmitted,
    ),
    counter(
      "arcly_srt_lost_packets_total",
      "SRT data packets detected lost on the way in (NAKed).",
      t.receivedLost,
    ),
    counter(
      "arcly_srt_sent_packets_total",
      "SRT data packets sent (first transmissions).",
      t.sentPackets,
    ),
    counter(
      "arcly_srt_sent_bytes_total",
      "SRT payload bytes sent.",
      t.sentBytes,
    ),
    counter(
      "arcly_srt_retransmitted_packets_total",
      "SRT data packets re-sent after a NAK or a missing ACK.",
      t.sentRetransmitted,
    ),
    counter(
      "arcly_srt_dropped_packets_total",
      "SRT data packets dropped: too late to play (in) or unsent/unacknowledged past the latency (out).",
      t.receivedDropped,
      { direction: "in" },
    ),
    counter(
      "arcly_srt_dropped_packets_total",
      "SRT data packets dropped: too late to play (in) or unsent/unacknowledged past the latency (out).",
      t.sentDropped,
      { direction: "out" },
    ),
    counter(
      "arcly_srt_naks_total",
      "SRT NAK (loss report) packets, sent (out) and received (in).",
      t.naksSent,
      { direction: "out" },
    ),
    counter(
      "arcly_srt_naks_total",
      "SRT NAK (loss report) packets, sent (out) and received (in).",
      t.naksReceived,
      { direction: "in" },
    ),
    counter(
      "arcly_srt_undecrypted_packets_total",
      "SRT data packets that could not be decrypted.",
      t.undecrypted,
    ),
    counter(
      "arcly_srt_garbage_datagrams_total",
      "Datagrams on the SRT port that did not parse.",
      c.garbage,
    ),
    counter(
      "arcly_srt_bad_cookies_total",
      "SRT conclusions with an invalid SYN cookie (spoofed or stale).",
      c.badCookies,
    ),
    counter(
      "arcly_srt_stray_datagrams_total",
      "SRT datagrams for no known connection.",
      c.stray,
    ),
  ];
  for (const [code, n] of rejects) {
    samples.push(
      counter(
        "arcly_srt_rejected_total",
        "SRT handshakes refused, by reject code.",
        n,
        { code },
      ),
    );
  }
  return samples;
}
