import { describe, expect, it } from "vitest";
import { api, connect, freshAddress, signUp, upgrade } from "./helpers.ts";

const EXPECTED: [string, string][] = [
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
  ["X-Frame-Options", "DENY"],
];

function expectSecurityHeaders(response: Response): void {
  for (const [name, value] of EXPECTED) {
    expect(response.headers.get(name), name).toBe(value);
  }
}

describe("API security headers", () => {
  it("come with a successful reply", async () => {
    const user = await signUp();
    const response = await api("GET", "/api/me", { cookie: user.cookie });
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
  });

  it("come with an invalid request's error", async () => {
    const response = await api("POST", "/api/auth/code", {
      body: { phone: 42 },
      headers: { "CF-Connecting-IP": freshAddress() },
    });
    expect(response.status).toBe(400);
    expectSecurityHeaders(response);
  });

  it("come with a missing session's error", async () => {
    const response = await api("GET", "/api/me");
    expect(response.status).toBe(401);
    expectSecurityHeaders(response);
  });

  it("come with an unknown route's error", async () => {
    const response = await api("GET", "/api/no-such-route");
    expect(response.status).toBe(404);
    expectSecurityHeaders(response);
  });

  it("come with a refused socket upgrade", async () => {
    const response = await upgrade(undefined);
    expect(response.status).toBe(401);
    expectSecurityHeaders(response);
  });

  it("leave the socket upgrade working", async () => {
    const user = await signUp();
    const socket = await connect(user);
    socket.close();
  });
});
