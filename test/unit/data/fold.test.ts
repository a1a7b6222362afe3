import { beforeEach, describe, expect, it } from "vitest";
import {
  CHAT,
  ME,
  PEER,
  edit,
  idFor,
  reaction,
  resetState,
  stored,
} from "./fixtures.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { applyDeleted, applyMessages } from "../../../pwa/src/data/store.ts";

async function row(seq: number) {
  const found = await db.messages.get(idFor(seq));
  if (found === undefined) throw new Error(`message ${seq} is not stored`);
  return found;
}

describe("folding edits and reactions", () => {
  beforeEach(resetState);

  it("applies an edit to its target", async () => {
    await applyMessages(CHAT, [stored(1), edit(2, 1, "fixed")], ME);
    const target = await row(1);
    expect(target.text).toBe("fixed");
    expect(target.editedAt).toBe(stored(2).ts);
  });

  it("keeps an early edit until its target arrives", async () => {
    await applyMessages(CHAT, [edit(2, 1, "fixed")], ME);
    expect(await db.messages.get(idFor(1))).toBeUndefined();
    await applyMessages(CHAT, [stored(1)], ME);
    expect((await row(1)).text).toBe("fixed");
  });

  it("lets the highest seq win whatever the arrival order", async () => {
    await applyMessages(CHAT, [stored(1), edit(3, 1, "second")], ME);
    await applyMessages(CHAT, [edit(2, 1, "first")], ME);
    expect((await row(1)).text).toBe("second");
  });

  it("ignores an edit by someone else than the author", async () => {
    await applyMessages(CHAT, [stored(1), edit(2, 1, "forged", ME)], ME);
    const target = await row(1);
    expect(target.text).toBe("text 1");
    expect(target.editedAt).toBeNull();
  });

  it("keeps one reaction per person", async () => {
    await applyMessages(
      CHAT,
      [
        stored(1),
        reaction(2, 1, "👍"),
        reaction(3, 1, "❤️"),
        reaction(4, 1, "😂", ME),
      ],
      ME,
    );
    expect((await row(1)).reactions).toEqual({ [PEER]: "❤️", [ME]: "😂" });
  });

  it("removes a reaction with an empty emoji", async () => {
    await applyMessages(
      CHAT,
      [stored(1), reaction(2, 1, "👍"), reaction(3, 1, "")],
      ME,
    );
    expect((await row(1)).reactions).toEqual({});
  });

  it("applies an early reaction when the target arrives", async () => {
    await applyMessages(CHAT, [reaction(5, 1, "🙏")], ME);
    await applyMessages(CHAT, [stored(1)], ME);
    expect((await row(1)).reactions).toEqual({ [PEER]: "🙏" });
  });

  it("clears a message deleted for everyone", async () => {
    await applyMessages(
      CHAT,
      [stored(1), edit(2, 1, "x"), reaction(3, 1, "👍")],
      ME,
    );
    await applyDeleted(CHAT, idFor(1));
    const target = await row(1);
    expect(target.deleted).toBe(true);
    expect(target.text).toBe("");
    expect(target.reactions).toEqual({});
    expect(target.editedAt).toBeNull();
    const folds = await db.folds.where("ref").equals(idFor(1)).toArray();
    expect(folds.every((fold) => fold.deleted && fold.body === "")).toBe(true);
  });

  it("does not revive a deleted message with a late edit", async () => {
    await applyMessages(CHAT, [stored(1, { deleted: true, body: "" })], ME);
    await applyMessages(CHAT, [edit(2, 1, "back")], ME);
    const target = await row(1);
    expect(target.text).toBe("");
    expect(target.editedAt).toBeNull();
  });
});
