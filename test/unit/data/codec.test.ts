import { describe, expect, it } from "vitest";
import {
  decodeEdit,
  decodeMessage,
  decodeReaction,
  decodeSystem,
  encodeEdit,
  encodeMessage,
  encodeReaction,
} from "../../../pwa/src/data/codec.ts";

const TARGET = "0190a0b0-0000-7000-8000-000000000001";

describe("codec", () => {
  it("round-trips text with a reply", () => {
    const body = encodeMessage("hi\nthere", TARGET);
    expect(JSON.parse(body)).toEqual({
      v: 1,
      text: "hi\nthere",
      replyTo: TARGET,
    });
    expect(decodeMessage(body)).toEqual({
      text: "hi\nthere",
      replyTo: TARGET,
      media: null,
      mediaError: false,
    });
  });

  it("omits replyTo when there is none", () => {
    expect(encodeMessage("plain")).toBe('{"v":1,"text":"plain"}');
    expect(decodeMessage(encodeMessage("plain")).replyTo).toBeNull();
  });

  it("round-trips edits and reactions", () => {
    expect(encodeEdit("new")).toBe('{"v":1,"text":"new"}');
    expect(decodeEdit(encodeEdit("new"))).toBe("new");
    expect(decodeReaction(encodeReaction("👍"))).toBe("👍");
    expect(decodeReaction(encodeReaction(""))).toBe("");
  });

  it("keeps markup as plain text", () => {
    const text = '<img src=x onerror="alert(1)">';
    expect(decodeMessage(encodeMessage(text)).text).toBe(text);
  });

  it("decodes unreadable bodies to nothing", () => {
    for (const body of ["", "not json", "[]", "null", '{"v":2,"text":"x"}']) {
      expect(decodeMessage(body)).toEqual({
        text: "",
        replyTo: null,
        media: null,
        mediaError: false,
      });
      expect(decodeEdit(body)).toBeNull();
      expect(decodeReaction(body)).toBeNull();
    }
  });

  it("ignores fields of the wrong type", () => {
    expect(decodeMessage('{"v":1,"text":5,"replyTo":7}')).toEqual({
      text: "",
      replyTo: null,
      media: null,
      mediaError: false,
    });
  });

  it("decodes system events and rejects others", () => {
    const event = { event: "left", actorId: TARGET };
    expect(decodeSystem(JSON.stringify(event))).toEqual(event);
    expect(decodeSystem('{"event":"exploded"}')).toBeNull();
    expect(decodeSystem("{")).toBeNull();
  });
});
