import { describe, expect, it } from "vitest";
import {
  classifyQuality,
  sampleOf,
  type StatsSample,
} from "../../../pwa/src/calls/quality.ts";

function sample(fields: Partial<StatsSample>): StatsSample {
  return {
    at: 0,
    packetsReceived: 0,
    packetsLost: 0,
    roundTripTime: 0.02,
    jitter: 0.005,
    ...fields,
  };
}

describe("sampleOf", () => {
  it("sums inbound streams and reads the nominated pair", () => {
    const stats = [
      {
        type: "inbound-rtp",
        kind: "audio",
        packetsReceived: 500,
        packetsLost: 5,
        jitter: 0.012,
      },
      {
        type: "inbound-rtp",
        kind: "video",
        packetsReceived: 900,
        packetsLost: 1,
      },
      { type: "outbound-rtp", kind: "audio", packetsSent: 700 },
      { type: "candidate-pair", nominated: false, currentRoundTripTime: 2 },
      { type: "candidate-pair", nominated: true, currentRoundTripTime: 0.08 },
    ];
    const result = sampleOf(stats, 1234);
    expect(result.at).toBe(1234);
    expect(result.packetsReceived).toBe(1400);
    expect(result.packetsLost).toBe(6);
    expect(result.roundTripTime).toBe(0.08);
    expect(result.jitter).toBe(0.012);
  });

  it("leaves unknown values null", () => {
    const result = sampleOf([{ type: "transport" }], 0);
    expect(result.packetsReceived).toBe(0);
    expect(result.roundTripTime).toBeNull();
    expect(result.jitter).toBeNull();
  });
});

describe("classifyQuality", () => {
  const before = sample({ packetsReceived: 1000, packetsLost: 10 });

  it("rates a clean connection good", () => {
    const after = sample({ packetsReceived: 1500, packetsLost: 10 });
    expect(classifyQuality(before, after)).toBe("good");
  });

  it("rates 5 % loss poor and 20 % loss bad", () => {
    const poor = sample({ packetsReceived: 1950, packetsLost: 60 });
    const bad = sample({ packetsReceived: 1800, packetsLost: 210 });
    expect(classifyQuality(before, poor)).toBe("poor");
    expect(classifyQuality(before, bad)).toBe("bad");
  });

  it("rates a long round trip or high jitter", () => {
    const slow = sample({ packetsReceived: 1500, roundTripTime: 0.5 });
    const verySlow = sample({ packetsReceived: 1500, roundTripTime: 1.2 });
    const jittery = sample({ packetsReceived: 1500, jitter: 0.05 });
    expect(classifyQuality(before, slow)).toBe("poor");
    expect(classifyQuality(before, verySlow)).toBe("bad");
    expect(classifyQuality(before, jittery)).toBe("poor");
  });

  it("returns unknown when no packet arrived", () => {
    expect(classifyQuality(before, before)).toBe("unknown");
  });
});
