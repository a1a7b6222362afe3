import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../pwa/src/data/socket.ts";

describe("reconnect backoff", () => {
  it("doubles the ceiling per attempt", () => {
    expect(backoffDelay(0, 1)).toBe(500);
    expect(backoffDelay(1, 1)).toBe(1000);
    expect(backoffDelay(4, 1)).toBe(8000);
  });

  it("caps the ceiling at 30 seconds", () => {
    expect(backoffDelay(6, 1)).toBe(30_000);
    expect(backoffDelay(50, 1)).toBe(30_000);
  });

  it("spreads delays below the ceiling", () => {
    expect(backoffDelay(3, 0)).toBe(0);
    expect(backoffDelay(3, 0.5)).toBe(2000);
  });
});
