import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { contacts } from "../../../pwa/src/data/contacts.ts";
import { db, saveSession } from "../../../pwa/src/data/db.ts";
import {
  boot,
  finishPendingLogout,
  logout,
} from "../../../pwa/src/data/session.ts";
import { revoked, session } from "../../../pwa/src/data/state.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { CHAT, ME, MY_DEVICE, addChat, stored } from "./fixtures.ts";

// The session module starts a socket. With `navigator.onLine` false the
// socket waits for an `online` event instead of connecting, so these stubs
// are all the browser it needs.
const listeners = { addEventListener() {}, removeEventListener() {} };
const storage = new Map<string, string>();

function reply(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

const unauthenticated = {
  error: { code: "unauthenticated", message: "Sign in first." },
};

const fetchMock = vi.fn<typeof fetch>();

beforeAll(() => {
  vi.stubGlobal("window", listeners);
  vi.stubGlobal("document", { ...listeners, visibilityState: "visible" });
  vi.stubGlobal("navigator", { onLine: false, userAgent: "test" });
  vi.stubGlobal("localStorage", {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => storage.set(key, value),
    removeItem: (key: string) => storage.delete(key),
  });
  vi.stubGlobal("fetch", fetchMock);
});

afterAll(() => {
  vi.unstubAllGlobals();
});

describe("session", () => {
  it("ends a revoked session and wipes local data", async () => {
    const me = {
      id: ME,
      phone: "+4930123456",
      displayName: "Me",
      about: "",
      photoId: null,
      settings: {
        readReceipts: true,
        lastSeen: "everyone" as const,
        aboutVisibility: "everyone" as const,
        photoVisibility: "everyone" as const,
      },
      createdAt: 0,
    };
    await db.open();
    await saveSession({ me, deviceId: MY_DEVICE });
    await addChat();
    await applyMessages(CHAT, [stored(1)], ME);
    await db.contacts.put({
      phone: "+493099999999",
      name: "Saved",
      userId: null,
      addedAt: 1,
      updatedAt: 1,
    });
    fetchMock.mockResolvedValue(reply(401, unauthenticated));

    await boot();
    await vi.waitFor(() => expect(revoked.value).toBe(true));

    expect(session.value).toBeNull();
    expect(await db.contacts.count()).toBe(0);
    expect(contacts.value.size).toBe(0);
    expect(await db.messages.count()).toBe(0);
    expect(await db.chats.count()).toBe(0);
    expect(await db.kv.count()).toBe(0);
  });

  it("retries an offline logout at the next boot", async () => {
    fetchMock.mockReset();
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));
    await logout();
    expect(storage.get("messenger.logoutPending")).toBe("1");
    expect(revoked.value).toBe(false);

    fetchMock.mockReset();
    fetchMock.mockResolvedValue(reply(204));
    expect(await finishPendingLogout()).toBe(true);
    expect(storage.has("messenger.logoutPending")).toBe(false);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/auth/logout");
    expect(init?.method).toBe("POST");
  });
});
