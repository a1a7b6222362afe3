import { SELF } from "cloudflare:test";
import type { z } from "zod";
import type {
  ChatDetailReply,
  ChatReply,
  DevicesReply,
  ErrorBody,
  MeReply,
  RequestCodeReply,
  ServerFrame,
  SessionReply,
} from "../../protocol/index.ts";
import { v7 as uuidv7 } from "uuid";

export const ORIGIN = "http://localhost";

let addressCounter = 0;

/** Makes a fresh client address, so per-address limits never span tests. */
export function freshAddress(): string {
  addressCounter += 1;
  return `198.51.100.${addressCounter % 250}-${crypto.randomUUID()}`;
}

/** Makes a random valid German mobile number in E.164 form. */
export function randomPhone(): string {
  const digits = Array.from({ length: 8 }, () =>
    Math.floor(Math.random() * 10),
  );
  return `+49151${digits.join("")}`;
}

export interface ApiOptions {
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function api(
  method: string,
  path: string,
  options: ApiOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.Cookie = options.cookie;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body =
      typeof options.body === "string"
        ? options.body
        : JSON.stringify(options.body);
  }
  return SELF.fetch(`${ORIGIN}${path}`, { method, headers, body });
}

/** Reads a JSON reply body as `T`; the test asserts its contents. */
export async function json<T>(response: Response): Promise<T> {
  return response.json<T>();
}

/** Reads the ErrorBody of an error reply. */
export async function errorOf(response: Response): Promise<ErrorBody> {
  return (await json<{ error: ErrorBody }>(response)).error;
}

export type CodeReplyBody = z.infer<typeof RequestCodeReply>;
export type SessionReplyBody = z.infer<typeof SessionReply>;
export type MeReplyBody = z.infer<typeof MeReply>;
export type DevicesReplyBody = z.infer<typeof DevicesReply>;
export type ChatReplyBody = z.infer<typeof ChatReply>;
export type DetailReplyBody = z.infer<typeof ChatDetailReply>;

/** Reads the newest code sent to `phone` from the development outbox. */
export async function latestCode(phone: string): Promise<string> {
  const response = await api(
    "GET",
    `/api/dev/sms?phone=${encodeURIComponent(phone)}`,
  );
  const { messages } = await json<{ messages: { body: string }[] }>(response);
  const text = messages.at(-1)?.body ?? "";
  const match = /\b(\d{6})\b/.exec(text);
  if (match?.[1] === undefined)
    throw new Error(`no code in outbox for ${phone}`);
  return match[1];
}

export interface TestUser {
  id: string;
  deviceId: string;
  phone: string;
  cookie: string;
}

/** Signs a new account (or a new device of `phone`) in through the API. */
export async function signUp(
  phone = randomPhone(),
  deviceName = "Test device",
): Promise<TestUser> {
  const headers = { "CF-Connecting-IP": freshAddress() };
  const requested = await api("POST", "/api/auth/code", {
    body: { phone },
    headers,
  });
  if (requested.status !== 200)
    throw new Error(`code request failed: ${await requested.text()}`);
  const code = await latestCode(phone);
  const verified = await api("POST", "/api/auth/verify", {
    body: { phone, code, deviceName },
    headers,
  });
  if (verified.status !== 200)
    throw new Error(`verify failed: ${await verified.text()}`);
  const setCookie = verified.headers.get("Set-Cookie") ?? "";
  const cookie = setCookie.split(";")[0] ?? "";
  const session = await json<{ me: { id: string }; deviceId: string }>(
    verified,
  );
  return { id: session.me.id, deviceId: session.deviceId, phone, cookie };
}

export async function openDirect(a: TestUser, b: TestUser): Promise<string> {
  const response = await api("POST", "/api/chats/direct", {
    cookie: a.cookie,
    body: { userId: b.id },
  });
  const { chat } = await json<{ chat: { id: string } }>(response);
  return chat.id;
}

export async function createGroup(
  owner: TestUser,
  members: TestUser[],
  name = "Team",
): Promise<string> {
  const response = await api("POST", "/api/chats/group", {
    cookie: owner.cookie,
    body: { name, memberIds: members.map((m) => m.id) },
  });
  if (response.status !== 200)
    throw new Error(`group failed: ${await response.text()}`);
  const { chat } = await json<{ chat: { id: string } }>(response);
  return chat.id;
}

export function newMessageId(): string {
  return uuidv7();
}

type FrameOf<K extends ServerFrame["type"]> = Extract<ServerFrame, { type: K }>;

/** A test client socket that queues every frame it receives. */
export class TestSocket {
  readonly frames: ServerFrame[] = [];
  closeCode: number | null = null;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (event) => {
      this.frames.push(JSON.parse(String(event.data)) as ServerFrame);
      this.wake();
    });
    ws.addEventListener("close", (event) => {
      this.closeCode = event.code;
      this.wake();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Removes and returns the first queued frame matching type and test. */
  async next<K extends ServerFrame["type"]>(
    type: K,
    test: (frame: FrameOf<K>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<FrameOf<K>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex(
        (frame) => frame.type === type && test(frame as FrameOf<K>),
      );
      if (index >= 0) return this.frames.splice(index, 1)[0] as FrameOf<K>;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.frames.map((f) => f.type).join(", ");
        throw new Error(`timed out waiting for ${type}; queued: [${seen}]`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async closed(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.closeCode === null) throw new Error("socket did not close");
    return this.closeCode;
  }

  close(): void {
    try {
      this.ws.close(1000, "test done");
    } catch {
      // Already closed by the server.
    }
  }
}

export async function upgrade(
  cookie: string | undefined,
  origin = ORIGIN,
): Promise<Response> {
  const headers: Record<string, string> = {
    Upgrade: "websocket",
    Origin: origin,
  };
  if (cookie !== undefined) headers.Cookie = cookie;
  return SELF.fetch(`${ORIGIN}/api/ws`, { headers });
}

/** Opens a socket for `user` and waits for `ready`. */
export async function connect(user: TestUser): Promise<TestSocket> {
  const response = await upgrade(user.cookie);
  const ws = response.webSocket;
  if (response.status !== 101 || ws === null) {
    throw new Error(
      `upgrade failed with ${response.status}: ${await response.text()}`,
    );
  }
  ws.accept();
  const socket = new TestSocket(ws);
  await socket.next("ready");
  return socket;
}

/** Sends a text message and waits for its `send.ok`. */
export async function sendText(
  socket: TestSocket,
  chatId: string,
  body = "hello",
  id = newMessageId(),
): Promise<FrameOf<"send.ok">> {
  socket.send({ type: "send", chatId, message: { id, kind: "message", body } });
  return socket.next("send.ok", (frame) => frame.id === id);
}
