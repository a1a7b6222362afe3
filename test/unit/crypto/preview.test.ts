import { describe, expect, it } from "vitest";
import { removeDevices } from "../../../pwa/src/crypto/group.ts";
import {
  KEPT_PREVIEW_EPOCHS,
  clipPreview,
  openPreview,
  sealPreview,
} from "../../../pwa/src/crypto/preview.ts";
import { PREVIEW_TEXT_CHARS } from "../../../protocol/push.ts";
import { CHAT, deliverCommit, groupOf, newDevice } from "./fixtures.ts";

const MESSAGE = "0193a1c2-0000-7000-8000-000000000001";
const OTHER_MESSAGE = "0193a1c2-0000-7000-8000-000000000002";

describe("notification previews", () => {
  it("opens on every member's device and hides the text", async () => {
    const [alice, bob, carol] = await groupOf(3);
    const preview = await sealPreview(alice.db, CHAT, MESSAGE, "See you at 8");
    expect(preview).toMatch(/^pv1\.[0-9]+\./);
    expect(preview).not.toContain("See you");
    for (const device of [bob, carol, alice]) {
      expect(await openPreview(device.db, CHAT, MESSAGE, preview!)).toBe(
        "See you at 8",
      );
    }
  });

  it("fails for another message, a changed byte or a stranger", async () => {
    const [alice, bob] = await groupOf(2);
    const stranger = await newDevice();
    const preview = (await sealPreview(alice.db, CHAT, MESSAGE, "secret"))!;
    expect(await openPreview(bob.db, CHAT, OTHER_MESSAGE, preview)).toBeNull();
    // A character in the middle: the last one may carry only padding bits.
    const middle = Math.floor(preview.length / 2) + 4;
    const flipped = preview[middle] === "A" ? "B" : "A";
    const changed =
      preview.slice(0, middle) + flipped + preview.slice(middle + 1);
    expect(await openPreview(bob.db, CHAT, MESSAGE, changed)).toBeNull();
    expect(await openPreview(stranger.db, CHAT, MESSAGE, preview)).toBeNull();
    expect(await openPreview(bob.db, CHAT, MESSAGE, "pv1.x.abc")).toBeNull();
    expect(await openPreview(bob.db, CHAT, MESSAGE, "garbage")).toBeNull();
  });

  it("changes key at each epoch", async () => {
    const [alice, bob, carol] = await groupOf(3);
    const before = (await sealPreview(alice.db, CHAT, MESSAGE, "all three"))!;
    const removal = await removeDevices(alice.store, CHAT, [carol]);
    await deliverCommit(removal, [alice, bob]);
    const after = (await sealPreview(alice.db, CHAT, MESSAGE, "two left"))!;
    expect(after.split(".")[1]).not.toBe(before.split(".")[1]);
    expect(await openPreview(bob.db, CHAT, MESSAGE, after)).toBe("two left");
    // Bob still reads a push sealed just before the commit.
    expect(await openPreview(bob.db, CHAT, MESSAGE, before)).toBe("all three");
    expect(await openPreview(carol.db, CHAT, MESSAGE, after)).toBeNull();
  });

  it("keeps the keys of the newest epochs only", async () => {
    const [alice] = await groupOf(2);
    const rows = await alice.db.previewKeys
      .where("chatId")
      .equals(CHAT)
      .toArray();
    expect(rows.length).toBeGreaterThan(0);
    const newest = Math.max(...rows.map((row) => row.epoch));
    // A fresh group has few epochs, so the test adds keys as commits would.
    const key = rows[0]!.key;
    for (let epoch = newest + 1; epoch <= newest + 8; epoch += 1) {
      await alice.store.putPreviewKey(
        { chatId: CHAT, epoch, key },
        KEPT_PREVIEW_EPOCHS,
      );
    }
    const remaining = await alice.db.previewKeys
      .where("chatId")
      .equals(CHAT)
      .toArray();
    expect(remaining.map((row) => row.epoch)).toEqual(
      Array.from({ length: KEPT_PREVIEW_EPOCHS }, (_, i) => newest + 4 + i),
    );
  });

  it("shortens long text without splitting an emoji", () => {
    const long = "😀".repeat(PREVIEW_TEXT_CHARS + 5);
    const clipped = clipPreview(long);
    expect(Array.from(clipped)).toHaveLength(PREVIEW_TEXT_CHARS);
    expect(clipped.endsWith("…")).toBe(true);
    expect(clipPreview("  two\n\nlines ")).toBe("two lines");
  });
});
