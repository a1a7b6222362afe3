import {
  createExecutionContext,
  env,
  runInDurableObject,
  SELF,
} from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { OTP_MAX_ATTEMPTS } from "../../protocol/index.ts";
import worker from "../../worker/index.ts";
import { MAX_REQUEST_BYTES } from "../../worker/http.ts";
import type { DevSmsReply } from "../../protocol/index.ts";
import type { z } from "zod";

type DevSmsBody = z.infer<typeof DevSmsReply>;
import {
  api,
  freshAddress,
  errorOf,
  json,
  type CodeReplyBody,
  type SessionReplyBody,
  latestCode,
  randomPhone,
  signUp,
} from "./helpers.ts";

describe("code request", () => {
  it("normalises a national number with its region", async () => {
    const response = await api("POST", "/api/auth/code", {
      body: { phone: "0151 23456789", region: "DE" },
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    expect(response.status).toBe(200);
    const body = await json<CodeReplyBody>(response);
    expect(body.phone).toBe("+4915123456789");
  });

  it("rejects an invalid number naming it and the region", async () => {
    const response = await api("POST", "/api/auth/code", {
      body: { phone: "12345", region: "DE" },
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("phone");
    expect(error.message).toContain("12345 is not a valid phone number for DE");
    expect(error.message).toContain("+49");
  });

  it("limits codes per number", async () => {
    const phone = randomPhone();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await api("POST", "/api/auth/code", {
        body: { phone },
        headers: { "CF-Connecting-IP": freshAddress() },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("limits codes per client address", async () => {
    const address = freshAddress();
    let last: Response | undefined;
    for (let i = 0; i < 21; i += 1) {
      last = await api("POST", "/api/auth/code", {
        body: { phone: randomPhone() },
        headers: { "CF-Connecting-IP": address },
      });
    }
    expect(last?.status).toBe(429);
    const error = await errorOf(last as Response);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(last?.headers.get("Retry-After")).not.toBeNull();
  });
});

describe("code verification", () => {
  async function requestCode(phone: string) {
    await api("POST", "/api/auth/code", {
      body: { phone },
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    return latestCode(phone);
  }

  function verify(phone: string, code: string) {
    return api("POST", "/api/auth/verify", {
      body: { phone, code, deviceName: "Laptop" },
      headers: { "CF-Connecting-IP": freshAddress() },
    });
  }

  it("signs in with a session cookie", async () => {
    const phone = randomPhone();
    const code = await requestCode(phone);
    const response = await verify(phone, code);
    expect(response.status).toBe(200);
    const cookie = response.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(
      /^session=[0-9a-f-]{36}\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43};/,
    );
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure");
    const body = await json<SessionReplyBody>(response);
    expect(body.isNew).toBe(true);
    expect(body.me.phone).toBe(phone);
  });

  it("counts wrong codes and then expires the code", async () => {
    const phone = randomPhone();
    const code = await requestCode(phone);
    const wrong = code === "000000" ? "111111" : "000000";
    const first = await errorOf(await verify(phone, wrong));
    expect(first.code).toBe("code_invalid");
    expect(first.message).toContain(`${OTP_MAX_ATTEMPTS - 1} attempts left`);
    for (let i = 1; i < OTP_MAX_ATTEMPTS - 1; i += 1)
      await verify(phone, wrong);
    const last = await errorOf(await verify(phone, wrong));
    expect(last.code).toBe("code_expired");
    const right = await errorOf(await verify(phone, code));
    expect(right.code).toBe("code_expired");
  });

  it("rejects a code after its expiry", async () => {
    const phone = randomPhone();
    const code = await requestCode(phone);
    const stub = env.PHONE_DIRECTORY.get(env.PHONE_DIRECTORY.idFromName(phone));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE challenge SET expires_at = ?",
        Date.now() - 1,
      );
    });
    const response = await verify(phone, code);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("code_expired");
  });

  it("stores only a hash of the code", async () => {
    const phone = randomPhone();
    const code = await requestCode(phone);
    const stub = env.PHONE_DIRECTORY.get(env.PHONE_DIRECTORY.idFromName(phone));
    const stored = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec<{ code_hash: string }>("SELECT code_hash FROM challenge")
        .one(),
    );
    expect(stored.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.code_hash).not.toContain(code);
  });

  it("signs a second device into the same account", async () => {
    const first = await signUp();
    const second = await signUp(first.phone, "Phone");
    expect(second.id).toBe(first.id);
    expect(second.deviceId).not.toBe(first.deviceId);
  });
});

describe("request bodies", () => {
  it("rejects a body over the cap as too_large", async () => {
    const response = await api("POST", "/api/auth/code", {
      body: JSON.stringify({ phone: "x".repeat(MAX_REQUEST_BYTES) }),
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("too_large");
  });

  it("rejects malformed JSON as invalid_request", async () => {
    const response = await api("POST", "/api/auth/code", {
      body: "{not json",
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_request");
  });
});

describe("sessions", () => {
  it("requires a session cookie", async () => {
    const response = await api("GET", "/api/me");
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });

  it("rejects a forged secret", async () => {
    const user = await signUp();
    const forged = user.cookie.replace(/\.[^.]+$/, `.${"A".repeat(43)}`);
    const response = await api("GET", "/api/me", { cookie: forged });
    expect(response.status).toBe(401);
  });

  it("logs out and clears the cookie", async () => {
    const user = await signUp();
    const response = await api("POST", "/api/auth/logout", {
      cookie: user.cookie,
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Set-Cookie")).toContain("Max-Age=0");
    expect((await api("GET", "/api/me", { cookie: user.cookie })).status).toBe(
      401,
    );
  });
});

describe("development SMS outbox", () => {
  it("serves texts in development", async () => {
    const phone = randomPhone();
    await api("POST", "/api/auth/code", {
      body: { phone },
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    const response = await SELF.fetch(
      `http://localhost/api/dev/sms?phone=${encodeURIComponent(phone)}`,
    );
    expect(response.status).toBe(200);
    const { messages } = await json<DevSmsBody>(response);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.to).toBe(phone);
  });

  it("is absent in production", async () => {
    const request = new Request(
      "http://localhost/api/dev/sms?phone=%2B4915112345678",
    );
    const production = { ...env, ENVIRONMENT: "production" };
    const response = await worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      production,
      createExecutionContext(),
    );
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });
});

describe("Twilio SMS sender", () => {
  const twilioEnv = {
    ...env,
    ENVIRONMENT: "production",
    SMS_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: "AC123",
    TWILIO_AUTH_TOKEN: "token",
    TWILIO_FROM: "+15005550006",
  };

  function requestCodeIn(testEnv: typeof env, phone: string) {
    const request = new Request("http://localhost/api/auth/code", {
      method: "POST",
      headers: { "CF-Connecting-IP": freshAddress() },
      body: JSON.stringify({ phone }),
    });
    return worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      testEnv,
      createExecutionContext(),
    );
  }

  it("posts the code to the Messages API", async () => {
    const sent: Request[] = [];
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation((input, init) => {
        sent.push(new Request(input, init));
        return Promise.resolve(new Response("{}", { status: 201 }));
      });
    const phone = randomPhone();
    try {
      const response = await requestCodeIn(twilioEnv, phone);
      expect(response.status).toBe(200);
    } finally {
      spy.mockRestore();
    }

    expect(sent).toHaveLength(1);
    const request = sent[0] as Request;
    expect(request.url).toBe(
      "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json",
    );
    expect(request.headers.get("Authorization")).toBe(
      `Basic ${btoa("AC123:token")}`,
    );
    const form = new URLSearchParams(await request.text());
    expect(form.get("To")).toBe(phone);
    expect(form.get("From")).toBe("+15005550006");
    expect(form.get("Body")).toMatch(/\b\d{6}\b/);
  });

  it("fails without its secrets", async () => {
    const unconfigured = { ...twilioEnv, TWILIO_AUTH_TOKEN: undefined };
    const response = await requestCodeIn(unconfigured, randomPhone());
    expect(response.status).toBe(500);
    const error = await errorOf(response);
    expect(error.code).toBe("internal");
    expect(error.message).not.toContain("TWILIO");
  });
});
