import { beforeEach, describe, expect, it } from "vitest";
import type { Contact, PublicProfile } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import {
  contactsByUserId,
  nameText,
  resolveName,
} from "../../../pwa/src/data/names.ts";
import { contactAccount } from "../../../pwa/src/data/contact-account.ts";
import { buildChatRows } from "../../../pwa/src/data/rows.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { CHAT, ME, PEER, addChat, resetState, stored } from "./fixtures.ts";

const PROFILE: PublicProfile = {
  id: PEER,
  phone: "+447700900123",
  displayName: "Ana",
  about: "",
  photoId: null,
};

function contact(fields: Partial<Contact> = {}): Contact {
  return {
    phone: PROFILE.phone,
    name: "Ana Smith",
    userId: PEER,
    addedAt: 1,
    updatedAt: 1,
    ...fields,
  };
}

/** Formats like libphonenumber-js's international form of PROFILE.phone. */
function formatUk(e164: string): string {
  return e164 === "+447700900123" ? "+44 7700 900123" : e164;
}

describe("name resolution", () => {
  it("names the viewer You", () => {
    const name = resolveName(ME, ME, undefined, undefined);
    expect(nameText(name)).toBe("You");
    expect(nameText(name, formatUk, "you")).toBe("you");
  });

  it("names a deleted account over a saved contact", () => {
    const deleted = { ...PROFILE, phone: "", displayName: "", deleted: true };
    const name = resolveName(PEER, ME, contact(), deleted);
    expect(name).toEqual({ kind: "deleted" });
    expect(nameText(name, formatUk)).toBe("Deleted account");
  });

  it("prefers the saved contact name", () => {
    const name = resolveName(PEER, ME, contact(), PROFILE);
    expect(name).toEqual({ kind: "contact", name: "Ana Smith" });
    expect(nameText(name, formatUk)).toBe("Ana Smith");
  });

  it("shows an unknown person's number and profile name", () => {
    const name = resolveName(PEER, ME, undefined, PROFILE);
    expect(nameText(name, formatUk)).toBe("+44 7700 900123 ~Ana");
  });

  it("shows only the number without a profile name", () => {
    const profile = { ...PROFILE, displayName: "  " };
    const name = resolveName(PEER, ME, undefined, profile);
    expect(nameText(name, formatUk)).toBe("+44 7700 900123");
  });

  it("ignores a contact of another account", () => {
    const other = contact({ userId: ME });
    const name = resolveName(PEER, ME, other, PROFILE);
    expect(name.kind).toBe("unknown");
  });

  it("reports loading without contact or profile", () => {
    const name = resolveName(PEER, ME, undefined, undefined);
    expect(name).toEqual({ kind: "loading" });
    expect(nameText(name)).toBe("…");
  });

  it("indexes only contacts with an account", () => {
    const byUser = contactsByUserId([
      contact({ phone: "+493011111111", userId: null, name: "No account" }),
      contact(),
    ]);
    expect([...byUser.keys()]).toEqual([PEER]);
    expect(byUser.get(PEER)?.name).toBe("Ana Smith");
  });
});

describe("contact account", () => {
  const deleted = { ...PROFILE, phone: "", displayName: "", deleted: true };

  it("drops a link to a deleted account", () => {
    expect(contactAccount(contact(), deleted)).toBeNull();
  });

  it("keeps a link to a live account", () => {
    expect(contactAccount(contact(), PROFILE)).toBe(PEER);
  });

  it("keeps the link while the profile loads", () => {
    expect(contactAccount(contact(), undefined)).toBe(PEER);
  });

  it("ignores a deleted profile of another account", () => {
    const other = { ...deleted, id: "another-account" };
    expect(contactAccount(contact(), other)).toBe(PEER);
  });

  it("returns null for a number without an account", () => {
    expect(contactAccount(contact({ userId: null }), PROFILE)).toBeNull();
  });
});

describe("chat rows", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
    await db.profiles.put(PROFILE);
  });

  it("direct title uses the contact name", async () => {
    await db.contacts.put(contact());
    const [row] = await buildChatRows(await db.chats.toArray(), ME);
    expect(row?.title).toBe("Ana Smith");
    expect(row?.peerName).toEqual({ kind: "contact", name: "Ana Smith" });
  });

  it("unknown peer title shows number and name", async () => {
    const [row] = await buildChatRows(await db.chats.toArray(), ME);
    expect(row?.title).toBe("+447700900123 ~Ana");
    expect(row?.peerName).toEqual({
      kind: "unknown",
      phone: "+447700900123",
      profileName: "Ana",
    });
  });

  it("system preview uses contact names", async () => {
    await db.contacts.put(contact());
    const event = { event: "removed", actorId: ME, targetId: PEER };
    await applyMessages(
      CHAT,
      [stored(1, { kind: "system", body: JSON.stringify(event) })],
      ME,
    );
    const [row] = await buildChatRows(await db.chats.toArray(), ME);
    expect(row?.preview?.text).toBe("You removed Ana Smith");
    expect(row?.preview?.system).toMatchObject({ event: "removed" });
  });
});
