/**
 * Connection quality of a call from `RTCPeerConnection.getStats()`: packet
 * loss of the inbound streams, round-trip time of the selected candidate
 * pair, and jitter of the inbound audio, compared between two samples a few
 * seconds apart.
 */

/** Counters read from one stats report. */
export interface StatsSample {
  /** Local time of the sample, in ms. */
  at: number;
  /** Summed over the inbound RTP streams. */
  packetsReceived: number;
  packetsLost: number;
  /** Of the nominated candidate pair, in seconds; null when unknown. */
  roundTripTime: number | null;
  /** Of the inbound audio stream, in seconds; null when unknown. */
  jitter: number | null;
}

export type Quality = "good" | "poor" | "bad" | "unknown";

/**
 * Thresholds, as estimates: ITU-T G.114 recommends a one-way delay under
 * 150 ms for conversation (so a round trip over 300 ms is noticeable), and
 * Opus and VP8 conceal a loss of a few percent.
 */
const POOR = { loss: 0.03, roundTripTime: 0.3, jitter: 0.03 };
const BAD = { loss: 0.1, roundTripTime: 0.8, jitter: 0.1 };

function numberField(stats: Record<string, unknown>, key: string): number {
  const value = stats[key];
  return typeof value === "number" ? value : 0;
}

/** Reads the counters of a stats report into a sample taken at `at`. */
export function sampleOf(
  stats: Iterable<Record<string, unknown>>,
  at: number,
): StatsSample {
  const sample: StatsSample = {
    at,
    packetsReceived: 0,
    packetsLost: 0,
    roundTripTime: null,
    jitter: null,
  };
  for (const entry of stats) {
    if (entry.type === "inbound-rtp") {
      sample.packetsReceived += numberField(entry, "packetsReceived");
      sample.packetsLost += numberField(entry, "packetsLost");
      if (entry.kind === "audio" && typeof entry.jitter === "number") {
        sample.jitter = entry.jitter;
      }
    } else if (
      entry.type === "candidate-pair" &&
      entry.nominated === true &&
      typeof entry.currentRoundTripTime === "number"
    ) {
      sample.roundTripTime = entry.currentRoundTripTime;
    }
  }
  return sample;
}

/**
 * Classifies the connection between two samples: "bad" or "poor" when the
 * loss of the packets in between, the round-trip time or the jitter passes
 * its threshold, "unknown" when no packet arrived in between.
 */
export function classifyQuality(
  earlier: StatsSample,
  later: StatsSample,
): Quality {
  const received = later.packetsReceived - earlier.packetsReceived;
  const lost = Math.max(0, later.packetsLost - earlier.packetsLost);
  if (received + lost <= 0) return "unknown";
  const loss = lost / (received + lost);
  const roundTripTime = later.roundTripTime ?? 0;
  const jitter = later.jitter ?? 0;
  if (
    loss >= BAD.loss ||
    roundTripTime >= BAD.roundTripTime ||
    jitter >= BAD.jitter
  ) {
    return "bad";
  }
  if (
    loss >= POOR.loss ||
    roundTripTime >= POOR.roundTripTime ||
    jitter >= POOR.jitter
  ) {
    return "poor";
  }
  return "good";
}
