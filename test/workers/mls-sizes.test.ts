import { describe, expect, it } from "vitest";
import {
  type CommitEvent,
  MAX_BODY_BYTES,
  MAX_HANDSHAKE_CHARS,
  MAX_HISTORY_PAGE,
  MAX_HISTORY_PAGE_BYTES,
  type StoredMessage,
  utf8Length,
} from "../../protocol/index.ts";
import { createGroup, openDirect, signUp, type TestUser } from "./helpers.ts";
import {
  COMMIT,
  commitResponse,
  deviceOf,
  groupStatus,
  roomStub,
  TREE,
  WELCOME,
} from "./mls-helpers.ts";

/** Signs up `count` people with two devices each, ten at a time. */
async function signUpPairs(count: number): Promise<TestUser[][]> {
  const pairs: TestUser[][] = [];
  while (pairs.length < count) {
    const batch = Math.min(10, count - pairs.length);
    const firsts = await Promise.all(
      Array.from({ length: batch }, () => signUp()),
    );
    const seconds = await Promise.all(firsts.map((user) => signUp(user.phone)));
    firsts.forEach((user, i) => pairs.push([user, seconds[i] as TestUser]));
  }
  return pairs;
}

/** Builds the longest commit whose log event at `epoch` fits the body cap. */
function largestCommit(committer: TestUser, epoch: number): string {
  const event: CommitEvent = {
    epoch,
    commit: "",
    committer: deviceOf(committer),
    added: [],
    removed: [],
  };
  return "A".repeat(MAX_BODY_BYTES - utf8Length(JSON.stringify(event)));
}

async function commitLargest(user: TestUser, chatId: string, epoch: number) {
  const response = await commitResponse(user, chatId, {
    epoch,
    commit: largestCommit(user, epoch),
    added: [],
    removed: [],
  });
  expect(response.status, `commit at epoch ${epoch}`).toBe(200);
}

function pageBytes(messages: StoredMessage[]): number {
  return utf8Length(JSON.stringify(messages));
}

describe("MLS values at their size limits", () => {
  it("keeps the largest commit and welcome intact", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ana, ben);
    const commit = largestCommit(ana, 0).slice(0, -100);
    const welcome = "W".repeat(MAX_HANDSHAKE_CHARS);
    const ratchetTree = "T".repeat(MAX_HANDSHAKE_CHARS);
    const response = await commitResponse(ana, chatId, {
      epoch: 0,
      commit,
      welcome,
      ratchetTree,
      added: [deviceOf(ben)],
      removed: [],
    });
    expect(response.status).toBe(200);

    const status = await groupStatus(ben, chatId);
    expect(status.welcome?.welcome).toBe(welcome);
    expect(status.welcome?.ratchetTree).toBe(ratchetTree);
    const page = await roomStub(chatId).history(ben.id, { afterSeq: 0 }, 10);
    if (!page.ok) throw new Error(page.error.message);
    const body = page.value.messages[0]?.body ?? "{}";
    const event = JSON.parse(body) as CommitEvent;
    expect(event.commit).toBe(commit);
  });

  it("splits history of large commits by bytes", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ana, ben);
    const count = Math.ceil(MAX_HISTORY_PAGE_BYTES / MAX_BODY_BYTES) + 4;
    for (let epoch = 0; epoch < count; epoch++) {
      await commitLargest(ana, chatId, epoch);
    }
    const room = roomStub(chatId);

    const seqs: number[] = [];
    let cursor = 0;
    for (;;) {
      const page = await room.history(
        ben.id,
        { afterSeq: cursor },
        MAX_HISTORY_PAGE,
      );
      if (!page.ok) throw new Error(page.error.message);
      const { messages, hasMore } = page.value;
      expect(messages.length).toBeGreaterThan(0);
      expect(pageBytes(messages)).toBeLessThanOrEqual(MAX_HISTORY_PAGE_BYTES);
      seqs.push(...messages.map((message) => message.seq));
      cursor = messages.at(-1)?.seq ?? cursor;
      if (!hasMore) break;
    }
    expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i + 1));

    const newest = await room.history(
      ben.id,
      { beforeSeq: Number.MAX_SAFE_INTEGER },
      MAX_HISTORY_PAGE,
    );
    if (!newest.ok) throw new Error(newest.error.message);
    expect(newest.value.hasMore).toBe(true);
    expect(newest.value.messages.at(-1)?.seq).toBe(count);
    expect(pageBytes(newest.value.messages)).toBeLessThanOrEqual(
      MAX_HISTORY_PAGE_BYTES,
    );
  });

  // 200 sign-ups take several seconds, so this test gets 60 s.
  it("lists a group of 200 devices", async () => {
    const pairs = await signUpPairs(100);
    const [owner, ...others] = pairs.map(([first]) => first as TestUser);
    if (owner === undefined) throw new Error("no owner");
    const chatId = await createGroup(owner, others);
    const devices = pairs.flat().map(deviceOf);
    const response = await commitResponse(owner, chatId, {
      epoch: 0,
      commit: COMMIT,
      welcome: WELCOME,
      ratchetTree: TREE,
      added: devices.slice(1),
      removed: [],
    });
    expect(response.status).toBe(200);

    const status = await groupStatus(owner, chatId);
    expect(status.devices).toHaveLength(200);
    expect(new Set(status.devices.map((d) => d.deviceId))).toEqual(
      new Set(devices.map((d) => d.deviceId)),
    );
    expect(status.missing).toEqual([]);
    expect(status.stale).toEqual([]);
    const last = pairs.at(-1)?.[1];
    if (last === undefined) throw new Error("no last device");
    const welcome = await groupStatus(last, chatId);
    expect(welcome.welcome?.epoch).toBe(1);
  }, 60_000);
});
