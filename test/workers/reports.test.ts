import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  MAX_REPORTED_MESSAGES,
  REPORTS_PER_DAY,
  type ReportChatBody,
} from "../../protocol/reports.ts";
import {
  api,
  createGroup,
  errorOf,
  json,
  newMessageId,
  openDirect,
  signUp,
  type TestUser,
} from "./helpers.ts";

function report(user: TestUser | null, chatId: string, body: unknown) {
  return api("POST", `/api/chats/${chatId}/report`, {
    ...(user === null ? {} : { cookie: user.cookie }),
    body,
  });
}

function evidence(sender: TestUser, count: number): ReportChatBody {
  return {
    reason: "spam",
    messages: Array.from({ length: count }, (_, i) => ({
      id: newMessageId(),
      senderId: sender.id,
      sentAt: 1_760_000_000_000 + i,
      text: `buy now ${i}`,
    })),
  };
}

describe("POST /api/chats/:chatId/report", () => {
  it("stores the report for the operators", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const body = evidence(ben, 2);

    const response = await report(ana, chatId, body);

    expect(response.status).toBe(200);
    const { reportId } = await json<{ reportId: string }>(response);
    const listed = await env.MEDIA.list({ prefix: "reports/" });
    const key = listed.objects.find((object) =>
      object.key.endsWith(`/${reportId}.json`),
    )?.key;
    expect(key).toMatch(/^reports\/\d{4}-\d{2}-\d{2}\//);
    const object = await env.MEDIA.get(key!);
    const stored = await object!.json<Record<string, unknown>>();
    expect(stored).toMatchObject({
      reportId,
      reporterId: ana.id,
      chatId,
      chatKind: "direct",
      reason: "spam",
      messages: body.messages,
    });
  });

  it("answers a non-member as for a missing chat", async () => {
    const [ana, ben, eve] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const missing = `g_${crypto.randomUUID()}`;

    const outsider = await report(eve, chatId, evidence(ana, 1));
    const nowhere = await report(eve, missing, evidence(ana, 1));

    expect(outsider.status).toBe(nowhere.status);
    expect(outsider.status).toBe(403);
    const [outsiderError, nowhereError] = [
      await errorOf(outsider),
      await errorOf(nowhere),
    ];
    expect(outsiderError.code).toBe(nowhereError.code);
    expect(outsiderError.message).toBe(nowhereError.message);
  });

  it("rejects too many messages and no session", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);

    const tooMany = await report(
      ana,
      chatId,
      evidence(ben, MAX_REPORTED_MESSAGES + 1),
    );
    // Over-long lists get too_large, as everywhere in the API.
    expect(tooMany.status).toBe(413);
    const error = await errorOf(tooMany);
    expect(error.code).toBe("too_large");
    expect(error.message).toContain("messages");

    const anonymous = await report(null, chatId, evidence(ben, 1));
    expect(anonymous.status).toBe(401);
  });

  it("limits reports per person and day", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    for (let i = 0; i < REPORTS_PER_DAY; i += 1) {
      expect((await report(ana, chatId, evidence(ben, 1))).status).toBe(200);
    }

    const refused = await report(ana, chatId, evidence(ben, 1));

    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).code).toBe("rate_limited");
    expect(refused.headers.get("Retry-After")).not.toBeNull();
  });
});
