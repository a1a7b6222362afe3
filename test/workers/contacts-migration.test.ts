import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Contact } from "../../protocol/index.ts";
import type { UserHub } from "../../durable-objects/UserHub.ts";
import { migrate } from "../../durable-objects/schema.ts";
import { HUB_MIGRATIONS } from "../../durable-objects/user-hub/store.ts";
import {
  api,
  connect,
  json,
  newMessageId,
  openDirect,
  randomPhone,
  signUp,
  type TestUser,
} from "./helpers.ts";

/**
 * Schema version of hubs deployed before profile photos and phone-keyed
 * contacts: the index of the migration that adds the photo column.
 */
const PREVIOUS_VERSION = HUB_MIGRATIONS.findIndex((sql) =>
  sql.includes("ADD COLUMN photo_id"),
);

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

interface LegacyRow {
  userId: string;
  name: string;
  addedAt: number;
}

/**
 * Puts `owner`'s hub back to the schema of PREVIOUS_VERSION, stores `rows`
 * in the old user-id keyed contacts table, and runs the migrations again,
 * as a hub deployed before would on its next start.
 */
async function migrateLegacyContacts(owner: TestUser, rows: LegacyRow[]) {
  await runInDurableObject(hubStub(owner.id), (_hub: UserHub, state) => {
    const sql = state.storage.sql;
    sql.exec("ALTER TABLE profile DROP COLUMN photo_id");
    sql.exec("ALTER TABLE profile DROP COLUMN about_visibility");
    sql.exec("ALTER TABLE profile DROP COLUMN photo_visibility");
    sql.exec("DROP INDEX contacts_user_id");
    sql.exec("DROP TABLE contacts");
    sql.exec("DROP TABLE discovery_check");
    // Tables of migrations after PREVIOUS_VERSION, which run again below.
    sql.exec("DROP TABLE key_package");
    sql.exec("DROP TABLE last_resort_key_package");
    sql.exec("DROP TABLE push_subscription");
    sql.exec("ALTER TABLE inbox DROP COLUMN pushed_seq");
    sql.exec("DROP TABLE history_transfer");
    sql.exec("DROP TABLE current_call");
    sql.exec("DROP TABLE deleted_account");
    sql.exec("ALTER TABLE inbox DROP COLUMN group_call");
    sql.exec(
      `CREATE TABLE contacts (
         user_id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         added_at INTEGER NOT NULL
       )`,
    );
    for (const row of rows) {
      sql.exec(
        "INSERT INTO contacts (user_id, name, added_at) VALUES (?, ?, ?)",
        row.userId,
        row.name,
        row.addedAt,
      );
    }
    sql.exec(
      "UPDATE schema_meta SET value = ? WHERE key = 'version'",
      PREVIOUS_VERSION,
    );
    migrate(sql, HUB_MIGRATIONS);
  });
}

async function listContacts(user: TestUser): Promise<Contact[]> {
  const response = await api("GET", "/api/contacts", { cookie: user.cookie });
  expect(response.status).toBe(200);
  return (await json<{ contacts: Contact[] }>(response)).contacts;
}

describe("legacy contacts migration", () => {
  it("resolves numbers on first access", async () => {
    expect(PREVIOUS_VERSION).toBeGreaterThan(0);
    const ana = await signUp();
    const ben = await signUp();
    const cara = await signUp();
    const gone = newMessageId();
    await migrateLegacyContacts(ana, [
      { userId: ben.id, name: "Ben", addedAt: 1_700_000_000_000 },
      { userId: cara.id, name: "Cara", addedAt: 1_700_000_100_000 },
      { userId: gone, name: "Gone", addedAt: 1_700_000_200_000 },
    ]);

    // Before any contacts request, the migrated rows already count for
    // "contacts" privacy.
    const patched = await api("PATCH", "/api/me/settings", {
      cookie: ana.cookie,
      body: { lastSeen: "contacts" },
    });
    expect(patched.status).toBe(200);
    const anaSocket = await connect(ana);
    const benSocket = await connect(ben);
    const chatId = await openDirect(ben, ana);
    benSocket.send({ type: "view", chatId, listed: [] });
    const presence = await benSocket.next(
      "presence",
      (frame) => frame.userId === ana.id,
    );
    expect(presence.online).toBe(true);

    const contacts = await listContacts(ana);
    expect(contacts.map((c) => [c.phone, c.name, c.userId, c.addedAt])).toEqual(
      [
        [ben.phone, "Ben", ben.id, 1_700_000_000_000],
        [cara.phone, "Cara", cara.id, 1_700_000_100_000],
      ],
    );
    const frame = await anaSocket.next("contacts");
    expect(frame.contacts.map((c) => c.phone).sort()).toEqual(
      [ben.phone, cara.phone].sort(),
    );

    // A row whose account has no profile stays stored, unresolved.
    const kept = await runInDurableObject(hubStub(ana.id), (_hub, state) =>
      state.storage.sql
        .exec<{ user_id: string; phone: string | null }>(
          "SELECT user_id, phone FROM contacts WHERE phone IS NULL",
        )
        .toArray(),
    );
    expect(kept).toEqual([{ user_id: gone, phone: null }]);
    anaSocket.close();
    benSocket.close();
  });

  it("merges into a row saved under the number", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await migrateLegacyContacts(ana, [
      { userId: ben.id, name: "Old Ben", addedAt: 1_700_000_000_000 },
    ]);
    await runInDurableObject(hubStub(ana.id), (_hub, state) => {
      state.storage.sql.exec(
        `INSERT INTO contacts (phone, name, user_id, added_at, updated_at)
         VALUES (?, 'New Ben', NULL, 1, 1)`,
        ben.phone,
      );
    });
    const contacts = await listContacts(ana);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.name).toBe("New Ben");
    expect(contacts[0]?.userId).toBe(ben.id);
  });

  it("gives stored settings the defaults", async () => {
    const ana = await signUp();
    const patched = await api("PATCH", "/api/me/settings", {
      cookie: ana.cookie,
      body: { lastSeen: "nobody", readReceipts: false },
    });
    expect(patched.status).toBe(200);
    await migrateLegacyContacts(ana, []);
    // The hub caches the profile it read, so ask it to read it again.
    const me = await runInDurableObject(hubStub(ana.id), (hub: UserHub) =>
      hub.setPhoto(null),
    );
    expect(me.settings).toEqual({
      readReceipts: false,
      lastSeen: "nobody",
      aboutVisibility: "everyone",
      photoVisibility: "everyone",
    });
    expect(me.photoId).toBeNull();
    const phone = randomPhone();
    const put = await api("POST", "/api/contacts", {
      cookie: ana.cookie,
      body: { phone, name: "After" },
    });
    expect(put.status).toBe(200);
    expect((await listContacts(ana)).map((c) => c.phone)).toEqual([phone]);
  });
});
