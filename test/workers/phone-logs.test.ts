import { afterEach, describe, expect, it, vi } from "vitest";
import { maskPhone } from "../../worker/phone.ts";
import { pathForLog } from "../../worker/router.ts";
import { api, freshAddress, randomPhone, signUp } from "./helpers.ts";

describe("maskPhone", () => {
  it("keeps country code and last two digits", () => {
    expect(maskPhone("+4915112345678")).toBe("+49*********78");
    expect(maskPhone("+12025550143")).toBe("+1********43");
  });

  it("masks text that is no number", () => {
    expect(maskPhone("0301234567")).toBe("********67");
    expect(maskPhone("7")).toBe("7");
  });
});

describe("pathForLog", () => {
  it("masks the number of a contact path", () => {
    const url = "http://localhost/api/contacts/%2B4915112345678";
    expect(pathForLog(url)).toBe("/api/contacts/+49*********78");
    expect(pathForLog("http://localhost/api/contacts/+4915112345678")).toBe(
      "/api/contacts/+49*********78",
    );
    expect(pathForLog("http://localhost/api/contacts/%E0%A4%A")).toBe(
      "/api/contacts/******%A",
    );
  });

  it("keeps other paths", () => {
    for (const path of [
      "/api/contacts/import",
      "/api/contacts/discover",
      "/api/contacts",
      "/api/users/0190aaaa-0000-7000-8000-000000000000",
    ]) {
      expect(pathForLog(`http://localhost${path}`)).toBe(path);
    }
  });
});

describe("log lines", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("never carry a full phone number", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
    const ana = await signUp();
    const missing = randomPhone();
    const removed = await api(
      "DELETE",
      `/api/contacts/${encodeURIComponent(missing)}`,
      { cookie: ana.cookie },
    );
    expect(removed.status).toBe(404);
    const codeRequest = await api("POST", "/api/auth/code", {
      body: { phone: missing },
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    expect(codeRequest.status).toBe(200);

    const events = lines.map((line) => JSON.parse(line) as { event: string });
    const names = events.map((entry) => entry.event);
    expect(names).toContain("sms.dev_outbox");
    expect(names).toContain("http.rejected");
    for (const line of lines) {
      expect(line).not.toContain(ana.phone);
      expect(line).not.toContain(missing);
      expect(line).not.toContain(missing.slice(1));
    }
  });
});
