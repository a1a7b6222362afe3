import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Contact } from "../../protocol/index.ts";
import { ContactStore } from "../../durable-objects/user-hub/contact-store.ts";
import {
  ContactBook,
  type ContactsFrame,
} from "../../durable-objects/user-hub/contacts.ts";
import { DiscoveryQuota } from "../../durable-objects/user-hub/discovery.ts";
import type { PresenceKeeper } from "../../durable-objects/user-hub/presence.ts";
import { PresenceStore } from "../../durable-objects/user-hub/presence-store.ts";
import { HubStore } from "../../durable-objects/user-hub/store.ts";
import type { Env } from "../../worker/env.ts";
import { randomPhone, signUp } from "./helpers.ts";

// A Durable Object takes other requests while one awaits a call to another
// object, so a contact can change while a save looks its number up. These
// tests hold that lookup open, change the contact meanwhile, and check
// that the devices, which apply the `contacts` frames in order, end with
// what the hub stores.

/** Returns an env whose PhoneDirectory lookups wait until `release`. */
function pausedLookups() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const state = { started: 0 };
  const directory = {
    idFromName: (name: string) => name,
    get: () => ({
      lookup: async () => {
        state.started += 1;
        await gate;
        return null;
      },
    }),
  };
  const slowEnv = { ...env, PHONE_DIRECTORY: directory } as unknown as Env;
  return { env: slowEnv, state, release };
}

/** Builds a ContactBook over the hub's real tables, recording frames. */
function contactBook(sql: SqlStorage, bookEnv: Env, frames: ContactsFrame[]) {
  const keeper = { privacyChanged: () => undefined };
  return new ContactBook(
    bookEnv,
    new HubStore(sql),
    new ContactStore(sql),
    new PresenceStore(sql),
    new DiscoveryQuota(sql),
    keeper as unknown as PresenceKeeper,
    (frame) => frames.push(frame),
  );
}

/** Applies `frames` in order, as a device does, and returns its list. */
function deviceView(frames: readonly ContactsFrame[]): Map<string, Contact> {
  const view = new Map<string, Contact>();
  for (const frame of frames) {
    for (const phone of frame.removed) view.delete(phone);
    for (const contact of frame.contacts) view.set(contact.phone, contact);
  }
  return view;
}

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

describe("contact races", () => {
  it("delete during a save's lookup", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    await runInDurableObject(hubStub(ana.id), async (_hub, state) => {
      const sql = state.storage.sql;
      const frames: ContactsFrame[] = [];
      const paused = pausedLookups();
      const book = contactBook(sql, paused.env, frames);
      const fast = contactBook(sql, env, frames);

      const saving = book.put(phone, "Dora");
      await vi.waitUntil(() => paused.state.started === 1);
      await fast.delete(phone);
      paused.release();
      const saved = await saving;

      const stored = new ContactStore(sql).list();
      expect(saved.ok).toBe(true);
      if (saved.ok) {
        expect(stored).toContainEqual(saved.value.contact);
      }
      expect([...deviceView(frames).values()]).toEqual(stored);
    });
  });

  it("rename during a save's lookup", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    await runInDurableObject(hubStub(ana.id), async (_hub, state) => {
      const sql = state.storage.sql;
      const frames: ContactsFrame[] = [];
      const paused = pausedLookups();
      const book = contactBook(sql, paused.env, frames);
      const fast = contactBook(sql, env, frames);

      const saving = book.put(phone, "Dora");
      await vi.waitUntil(() => paused.state.started === 1);
      expect((await fast.put(phone, "Dorothea")).ok).toBe(true);
      paused.release();
      expect((await saving).ok).toBe(true);

      const stored = new ContactStore(sql).list();
      expect(stored).toHaveLength(1);
      expect([...deviceView(frames).values()]).toEqual(stored);
    });
  });
});
