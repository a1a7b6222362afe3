import { describe, expect, it } from "vitest";
import { contentDisposition } from "../../../pwa/src/media/content-disposition.ts";

/** Decodes the filename* parameter as a browser does (RFC 5987). */
function extended(header: string): string {
  const match = /filename\*=UTF-8''([^;]*)$/.exec(header);
  expect(match).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

function fallback(header: string): string {
  const match = /filename="([^"]*)"/.exec(header);
  expect(match).not.toBeNull();
  return match![1]!;
}

describe("contentDisposition", () => {
  it("keeps an ASCII name in both parameters", () => {
    expect(contentDisposition("report 2024.pdf")).toBe(
      `attachment; filename="report 2024.pdf"; filename*=UTF-8''report%202024.pdf`,
    );
  });

  const names = {
    Japanese: "請求書_二月.pdf",
    Arabic: "تقرير سنوي.docx",
    emoji: "party 🎉🥳.png",
  };
  for (const [script, name] of Object.entries(names)) {
    it(`encodes a ${script} name`, () => {
      const header = contentDisposition(name);
      expect(extended(header)).toBe(name);
      expect(fallback(header)).toMatch(/^[\x20-\x7e]+$/);
      expect(fallback(header).length).toBeGreaterThan(0);
    });
  }

  it("replaces quotes and backslashes in the fallback", () => {
    const name = 'say "hi"\\now.txt';
    const header = contentDisposition(name);
    expect(fallback(header)).toBe("say _hi__now.txt");
    expect(extended(header)).toBe(name);
    expect(header).not.toContain("\\");
  });

  it("percent-encodes what attr-char does not allow", () => {
    const header = contentDisposition("it's (final)*.txt");
    expect(header).toContain("filename*=UTF-8''it%27s%20%28final%29%2A.txt");
  });

  it("drops control characters and lone surrogates", () => {
    const header = contentDisposition("a\r\nb\u0000\ud800.txt");
    expect(header).not.toContain("\r");
    expect(header).not.toContain("\n");
    expect(header).not.toContain("\u0000");
    expect(extended(header)).toBe("ab\ufffd.txt");
  });

  it("names an empty name file", () => {
    expect(fallback(contentDisposition("  "))).toBe("file");
  });
});
