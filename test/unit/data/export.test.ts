import { beforeEach, describe, expect, it } from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import {
  buildDataExport,
  exportFileName,
} from "../../../pwa/src/data/export.ts";
import { deleteForMe } from "../../../pwa/src/data/messages.ts";
import { session } from "../../../pwa/src/data/state.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import {
  CHAT,
  ME,
  MY_DEVICE,
  PEER,
  addChat,
  idFor,
  reaction,
  resetState,
  stored,
} from "./fixtures.ts";

describe("data export", () => {
  beforeEach(async () => {
    await resetState();
    await addChat({ lastSeq: 3 });
    await db.profiles.put({
      id: PEER,
      displayName: "Peer",
      about: "",
      photoId: null,
      phone: "+4930999999",
    });
  });

  async function build() {
    const current = session.value!;
    return buildDataExport(current.me, current.deviceId, Date.UTC(2026, 11, 5));
  }

  it("holds each chat's messages in order", async () => {
    await applyMessages(CHAT, [stored(1), stored(2), reaction(3, 1, "👍")], ME);

    const data = await build();

    expect(data.format).toBe("messenger-export");
    expect(data.exportedAt).toBe("2026-12-05T00:00:00.000Z");
    expect(data.deviceId).toBe(MY_DEVICE);
    expect(data.account.displayName).toBe("Me");
    expect(data.chats).toHaveLength(1);
    const chat = data.chats[0]!;
    expect(chat.id).toBe(CHAT);
    expect(chat.messages.map((message) => message.text)).toEqual([
      "text 1",
      "text 2",
    ]);
    expect(chat.messages[0]!.seq).toBe(1);
    expect(chat.messages[0]!.reactions).toEqual({ "+4930999999 ~Peer": "👍" });
  });

  it("leaves out messages deleted for me", async () => {
    await applyMessages(CHAT, [stored(1), stored(2)], ME);
    await deleteForMe(CHAT, idFor(1));

    const data = await build();

    expect(data.chats[0]!.messages.map((message) => message.id)).toEqual([
      idFor(2),
    ]);
  });

  it("names the file by the day", () => {
    expect(exportFileName(Date.UTC(2026, 0, 2, 23))).toBe(
      "messenger-export-2026-01-02.json",
    );
  });
});
