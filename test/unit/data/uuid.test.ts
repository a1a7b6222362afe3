import { describe, expect, it } from "vitest";
import { z } from "zod";
import { newId } from "../../../pwa/src/data/uuid.ts";

const isUuid = z.uuid();

function timeOf(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

describe("newId", () => {
  it("makes a version 7 UUID carrying the time", () => {
    const now = Date.UTC(2026, 11, 5, 12, 30);
    const id = newId(now + 10_000);
    expect(isUuid.safeParse(id).success).toBe(true);
    expect(id[14]).toBe("7");
    expect("89ab").toContain(id[19]);
    expect(timeOf(id)).toBe(now + 10_000);
  });

  it("sorts ids made in one millisecond in the order they were made", () => {
    const now = Date.UTC(2026, 11, 5, 13);
    const ids = Array.from({ length: 5000 }, () => newId(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // 5000 ids overflow the 12-bit counter, which borrows later
    // milliseconds instead of wrapping around.
    expect(timeOf(ids.at(-1)!)).toBeGreaterThan(now);
  });

  it("keeps the order when the clock goes back", () => {
    const now = Date.UTC(2026, 11, 5, 14);
    const first = newId(now);
    const second = newId(now - 5_000);
    expect(second > first).toBe(true);
  });

  it("starts each new millisecond at a random counter", () => {
    const base = Date.UTC(2026, 11, 5, 15);
    const counters = new Set(
      Array.from({ length: 40 }, (_, i) => newId(base + i).slice(15, 18)),
    );
    expect(counters.size).toBeGreaterThan(30);
  });
});
