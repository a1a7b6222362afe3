import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { MAX_BODY_BYTES, type SendMessageReply } from "../../protocol/index.ts";
import { SendBudget } from "../../durable-objects/user-hub/sockets.ts";
import {
  api,
  connect,
  errorOf,
  json,
  newMessageId,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

type SendReplyBody = z.infer<typeof SendMessageReply>;

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Posts `message` to the HTTP send route of `chatId` as `user`. */
function post(
  user: TestUser | null,
  chatId: string,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return api("POST", `/api/chats/${chatId}/messages`, {
    ...(user === null ? {} : { cookie: user.cookie }),
    body: message,
    headers,
  });
}

function textMessage(body: string, id = newMessageId()) {
  return { id, kind: "message", body };
}

async function pair() {
  const ana = await signUp();
  const ben = await signUp();
  const chatId = await openDirect(ana, ben);
  return { ana, ben, chatId };
}

describe("POST /api/chats/:chatId/messages", () => {
  it("stores the message and delivers it", async () => {
    const { ana, ben, chatId } = await pair();
    const receiver = await connect(ben);
    sockets.push(receiver);
    const message = textMessage("over http");

    const response = await post(ana, chatId, message);

    expect(response.status).toBe(200);
    const reply = await json<SendReplyBody>(response);
    expect(reply.seq).toBe(1);
    expect(reply.ts).toBeGreaterThan(0);
    const live = await receiver.next("message");
    expect(live.message.id).toBe(message.id);
    expect(live.message.seq).toBe(reply.seq);
    expect(live.message.body).toBe("over http");
    expect(live.message.senderDeviceId).toBe(ana.deviceId);
  });

  it("delivers the message to the sender's other devices", async () => {
    const { ana, chatId } = await pair();
    const anaPhone = await signUp(ana.phone, "Phone");
    const otherDevice = await connect(anaPhone);
    sockets.push(otherDevice);
    const message = textMessage("sent from the laptop's service worker");

    const response = await post(ana, chatId, message);

    expect(response.status).toBe(200);
    const live = await otherDevice.next("message");
    expect(live.message.id).toBe(message.id);
    expect(live.message.senderDeviceId).toBe(ana.deviceId);
  });

  it("returns the original seq on resend", async () => {
    const { ana, chatId } = await pair();
    const message = textMessage("once");
    const first = await json<SendReplyBody>(await post(ana, chatId, message));

    const again = await post(ana, chatId, { ...message, body: "twice" });

    expect(again.status).toBe(200);
    const second = await json<SendReplyBody>(again);
    expect(second.seq).toBe(first.seq);
    expect(second.ts).toBe(first.ts);
    const next = await json<SendReplyBody>(
      await post(ana, chatId, textMessage("next")),
    );
    expect(next.seq).toBe(first.seq + 1);
  });

  it("returns the seq of a socket send", async () => {
    const { ana, chatId } = await pair();
    const socket = await connect(ana);
    sockets.push(socket);
    const id = newMessageId();
    const ok = await sendText(socket, chatId, "by socket", id);

    const response = await post(ana, chatId, textMessage("by socket", id));

    expect(response.status).toBe(200);
    const reply = await json<SendReplyBody>(response);
    expect(reply.seq).toBe(ok.seq);
    expect(reply.ts).toBe(ok.ts);
  });

  it("rejects a non-member like a missing chat", async () => {
    const { chatId } = await pair();
    const outsider = await signUp();

    const foreign = await post(outsider, chatId, textMessage("let me in"));
    const missing = await post(
      outsider,
      `g_${crypto.randomUUID()}`,
      textMessage("anyone?"),
    );

    expect(foreign.status).toBe(403);
    expect(missing.status).toBe(foreign.status);
    const foreignError = await errorOf(foreign);
    const missingError = await errorOf(missing);
    expect(foreignError.code).toBe("forbidden");
    expect(missingError).toEqual(foreignError);
  });

  it("names an invalid field of the body", async () => {
    const { ana, chatId } = await pair();

    const noId = await post(ana, chatId, { kind: "message", body: "x" });
    const editWithoutRef = await post(ana, chatId, {
      id: newMessageId(),
      kind: "edit",
      body: "x",
    });
    const notJson = await post(ana, chatId, "{not json");

    expect(noId.status).toBe(400);
    const noIdError = await errorOf(noId);
    expect(noIdError.code).toBe("invalid_request");
    expect(noIdError.field).toBe("id");
    expect(editWithoutRef.status).toBe(400);
    const refError = await errorOf(editWithoutRef);
    expect(refError.field).toBe("ref");
    expect(refError.message).toContain("required for edits and reactions");
    expect(notJson.status).toBe(400);
    expect((await errorOf(notJson)).message).toContain("not valid JSON");
  });

  it("rejects a body over MAX_BODY_BYTES as too_large", async () => {
    const { ana, chatId } = await pair();
    const body = "y".repeat(MAX_BODY_BYTES + 1);

    const response = await post(ana, chatId, textMessage(body));

    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.code).toBe("too_large");
    expect(error.field).toBe("body");
  });

  it("rejects an invalid chat id in the path", async () => {
    const { ana } = await pair();

    const response = await post(ana, "no_such_chat", textMessage("x"));

    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("chatId");
  });

  it("requires a session", async () => {
    const { chatId } = await pair();

    const response = await post(null, chatId, textMessage("anonymous"));

    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });

  it("rejects a foreign Origin", async () => {
    const { ana, chatId } = await pair();
    const message = textMessage("cross-site");

    const foreign = await post(ana, chatId, message, {
      Origin: "https://evil.example",
    });
    const listed = await post(ana, chatId, message, {
      Origin: "https://allowed.example",
    });

    expect(foreign.status).toBe(403);
    expect((await errorOf(foreign)).code).toBe("bad_origin");
    expect(listed.status).toBe(200);
  });

  it("charges the socket's send budget", async () => {
    const { ana, chatId } = await pair();
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(ana.id));
    // One send that refills once a minute, so the second send is over
    // budget however slowly the requests arrive.
    await runInDurableObject(hub, (instance) => {
      Object.assign(instance, { sendBudget: new SendBudget(1 / 60, 1) });
    });
    const socket = await connect(ana);
    sockets.push(socket);
    await sendText(socket, chatId, "by socket, within budget");

    const response = await post(ana, chatId, textMessage("over budget"));

    expect(response.status).toBe(429);
    const error = await errorOf(response);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(response.headers.get("Retry-After")).toBe(String(error.retryAfter));
  });
});
