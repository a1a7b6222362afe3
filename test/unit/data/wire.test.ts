import { afterEach, describe, expect, it } from "vitest";
import type { ClientFrame } from "../../../protocol/index.ts";
import {
  RequestLost,
  failRequest,
  request,
  setReplyRouter,
  setSender,
  settleRequest,
  type ReplyFrame,
} from "../../../pwa/src/data/wire.ts";
import { CHAT } from "./fixtures.ts";

const history: ClientFrame = {
  type: "history",
  rid: "r1",
  chatId: CHAT,
  beforeSeq: 10,
  limit: 50,
};

function page(rid: string): ReplyFrame {
  return { type: "messages", rid, chatId: CHAT, messages: [], hasMore: true };
}

afterEach(() => {
  setReplyRouter(null);
  setSender(null);
});

describe("reply routing", () => {
  it("settles a request of this tab first", async () => {
    const routed: ReplyFrame[] = [];
    setReplyRouter((frame) => routed.push(frame) > 0);
    setSender(() => undefined);
    const reply = request("r1", history);
    expect(settleRequest(page("r1"))).toBe(true);
    await expect(reply).resolves.toEqual(page("r1"));
    expect(routed).toEqual([]);
  });

  it("hands other replies to the router", () => {
    const routed: ReplyFrame[] = [];
    setReplyRouter((frame) => {
      routed.push(frame);
      return frame.rid === "forwarded";
    });
    expect(settleRequest(page("forwarded"))).toBe(true);
    expect(settleRequest(page("unknown"))).toBe(false);
    expect(routed.map((frame) => frame.rid)).toEqual(["forwarded", "unknown"]);
  });

  it("returns false without a router", () => {
    expect(settleRequest(page("r9"))).toBe(false);
  });

  it("fails one request by rid", async () => {
    setSender(() => undefined);
    const failed = request("r1", history);
    const waiting = request("r2", { ...history, rid: "r2" });
    failRequest("r1", "the leader tab could not send the request");
    await expect(failed).rejects.toBeInstanceOf(RequestLost);
    expect(settleRequest(page("r2"))).toBe(true);
    await expect(waiting).resolves.toEqual(page("r2"));
  });
});
