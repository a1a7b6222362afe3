import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  formatProgress,
} from "../../../pwa/src/ui/format-media.ts";

describe("formatDuration", () => {
  it.each([
    [0, "0:00"],
    [5.4, "0:05"],
    [59.6, "1:00"],
    [754, "12:34"],
    [3600, "1:00:00"],
    [3723, "1:02:03"],
    [Infinity, "0:00"],
    [-3, "0:00"],
  ])("formats %s seconds as %s", (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe("formatProgress", () => {
  it("shows bytes and whole percent", () => {
    expect(formatProgress(3_000_000, 20_971_520)).toBe(
      "3.0 MB of 21.0 MB (14%)",
    );
  });

  it("shows 0% for an empty file", () => {
    expect(formatProgress(0, 0)).toBe("0 B of 0 B (0%)");
  });
});

describe("formatBytes", () => {
  it("uses decimal units", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1500)).toBe("1.5 KB");
    expect(formatBytes(2 * 1024 ** 3)).toBe("2.1 GB");
  });
});
