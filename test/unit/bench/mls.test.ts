import { describe, expect, it } from "vitest";
import { measureGroup } from "../../../bench/mls/entry.ts";
import { summarizeGroup } from "../../../bench/lib/mls.mjs";
import { renderMlsSection } from "../../../bench/lib/report-mls.mjs";

const plan = { members: 3, messages: 4, warmup: 1 };

describe("MLS benchmark", () => {
  it("samples every step of a group", async () => {
    const raw = await measureGroup(plan);
    expect(raw.create.joinMs).toHaveLength(2);
    expect(raw.create.commitBytes).toBeGreaterThan(0);
    expect(raw.create.welcomeBytes).toBeGreaterThan(0);
    expect(raw.create.ratchetTreeBytes).toBeGreaterThan(0);
    expect(raw.exchange.encryptMs).toHaveLength(4);
    expect(raw.exchange.decryptMs).toHaveLength(4);
    for (const bytes of raw.exchange.bodyBytes) {
      expect(bytes).toBeGreaterThan(raw.exchange.plaintextBytes);
    }
    expect(raw.stateBytes).toHaveLength(3);
    expect(raw.add.processMs).toHaveLength(2);
    expect(raw.add.welcomeBytes).toBeGreaterThan(0);
  });

  it("renders the group in each table", async () => {
    const group = summarizeGroup(await measureGroup(plan));
    const page = renderMlsSection({
      loadAverage: 1,
      cores: 2,
      groups: [group],
    });
    const rows = page.split("\n").filter((line) => line.startsWith("| 3 |"));
    expect(rows).toHaveLength(3);
    expect(group.body.overheadBytes.p50).toBe(
      (group.body.bodyBytes.p50 ?? 0) - 100,
    );
  });

  it("renders a missing section as not measured", () => {
    expect(renderMlsSection(undefined)).toContain("Not measured");
  });
});
