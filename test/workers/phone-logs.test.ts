import { afterEach, describe, expect, it, vi } from "vitest";
import { maskPhone } from "../../worker/phone.ts";
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
    const removed = await api("POST", "/api/contacts/remove", {
      cookie: ana.cookie,
      body: { phone: missing },
    });
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
