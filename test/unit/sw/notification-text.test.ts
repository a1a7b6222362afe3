import { describe, expect, it } from "vitest";
import {
  callNotificationText,
  messageNotificationText,
  type MessageNotificationInput,
} from "../../../pwa/sw/notification-text.ts";

const direct: MessageNotificationInput = {
  chat: { kind: "direct", title: "Ana" },
  senderName: "Ana",
  unread: 1,
  previewText: "See you at eight",
  previewsEnabled: true,
};

const group: MessageNotificationInput = {
  chat: { kind: "group", title: "Trip" },
  senderName: "Ben",
  unread: 1,
  previewText: "Tickets are booked",
  previewsEnabled: true,
};

describe("message notification text", () => {
  it("direct chat shows sender and text", () => {
    const text = messageNotificationText(direct);
    expect(text.title).toBe("Ana");
    expect(text.body).toBe("See you at eight");
  });

  it("group shows group name and sender", () => {
    const text = messageNotificationText(group);
    expect(text.title).toBe("Trip");
    expect(text.body).toBe("Ben: Tickets are booked");
  });

  it("several unread collapse into a count", () => {
    const text = messageNotificationText({ ...direct, unread: 3 });
    expect(text.title).toBe("Ana");
    expect(text.body).toBe("3 new messages\nSee you at eight");
  });

  it("group count keeps the sender line", () => {
    const text = messageNotificationText({ ...group, unread: 2 });
    expect(text.body).toBe("2 new messages\nBen: Tickets are booked");
  });

  it("previews off hide the text", () => {
    const text = messageNotificationText({ ...group, previewsEnabled: false });
    expect(text.title).toBe("Trip");
    expect(text.body).toBe("New message");
  });

  it("previews off with a count show only the count", () => {
    const text = messageNotificationText({
      ...direct,
      unread: 4,
      previewsEnabled: false,
    });
    expect(text.body).toBe("4 new messages");
  });

  it("undecryptable preview says New message", () => {
    const text = messageNotificationText({ ...direct, previewText: null });
    expect(text.title).toBe("Ana");
    expect(text.body).toBe("New message");
  });

  it("unknown chat is titled New message", () => {
    const text = messageNotificationText({
      ...direct,
      chat: null,
      previewText: null,
    });
    expect(text.title).toBe("New message");
    expect(text.body).toBe("");
  });

  it("unknown chat still counts unread", () => {
    const text = messageNotificationText({
      ...direct,
      chat: null,
      previewText: null,
      unread: 2,
    });
    expect(text.title).toBe("New message");
    expect(text.body).toBe("2 new messages");
  });

  it("zero unread reads as one message", () => {
    const text = messageNotificationText({ ...direct, unread: 0 });
    expect(text.body).toBe("See you at eight");
  });
});

describe("call notification text", () => {
  it("voice call names the caller", () => {
    const text = callNotificationText(false, "Ana");
    expect(text.title).toBe("Incoming voice call");
    expect(text.body).toBe("Ana");
  });

  it("video call says video", () => {
    expect(callNotificationText(true, "Ana").title).toBe("Incoming video call");
  });
});
