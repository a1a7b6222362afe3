import {
  ApiError,
  chatId as chatIdSchema,
  ClientFrame,
  describeIssue,
  MAX_BODY_BYTES,
  MAX_FRAME_CHARS,
  messageId as messageIdSchema,
  type ClientFrameType,
  type ErrorBody,
  type OutgoingMessage,
  type ServerFrame,
  type StoredMessage,
  type TypingState,
} from "../../protocol/index.ts";
import { chatRoom, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { unwrap, type Result } from "../../worker/result.ts";
import type { SendResult } from "../chat-room/types.ts";
import {
  handleCallAccept,
  handleCallDecline,
  handleCallHangup,
  handleCallPeerFrame,
  handleCallStart,
} from "./call-frames.ts";
import type { HubCalls } from "./calls.ts";
import {
  handleGroupCallDecline,
  handleGroupCallJoin,
  handleGroupCallKey,
  handleGroupCallLeave,
  handleGroupCallPing,
  handleGroupCallUpdate,
} from "./group-call-frames.ts";
import type { Notifier } from "./notifications.ts";
import { applyReceipt } from "./read.ts";
import type { HubStore } from "./store.ts";
import { handleSync } from "./sync.ts";

/** The hub state and socket operations available to a frame handler. */
export interface FrameContext {
  env: Env;
  store: HubStore;
  notifier: Notifier;
  calls: HubCalls;
  userId: string;
  deviceId: string;
  /** Sends a frame to the socket the frame came in on. */
  reply(frame: ServerFrame): void;
  /** Stores what the device views and subscribes to match. */
  setView(view: { chatId: string | null; listed: string[] }): Promise<void>;
  /** Records the device's composer state and relays it. */
  setTyping(chatId: string, state: TypingState): void;
  /** Sends a frame to every socket of this person. */
  broadcast(frame: ServerFrame): void;
  /** Records a message in the chat list and sends it to every socket. */
  deliver(message: StoredMessage): Promise<void>;
  /** Passes one send to the chat's room, batched with concurrent sends. */
  sendToRoom(
    chatId: string,
    message: OutgoingMessage,
  ): Promise<Result<SendResult>>;
  /** Records that the device read `chars` more characters of frames. */
  acknowledge(chars: number): void;
  /** Takes one send from the device's budget; seconds to wait, or 0. */
  takeSendToken(): number;
  /** Whether this person shares read receipts (one-to-one chats). */
  sharesRead(): boolean;
}

export type Handler<K extends ClientFrameType> = (
  context: FrameContext,
  frame: Extract<ClientFrame, { type: K }>,
) => Promise<void>;

type HandlerMap = { [K in ClientFrameType]: Handler<K> };

const handlers: HandlerMap = {
  sync: handleSync,
  send: handleSend,
  history: handleHistory,
  receipt: handleReceipt,
  delete: handleDelete,
  view: handleView,
  typing: handleTyping,
  ack: handleAck,
  "call.start": handleCallStart,
  "call.accept": handleCallAccept,
  "call.decline": handleCallDecline,
  "call.hangup": handleCallHangup,
  "call.signal": handleCallPeerFrame,
  "call.media": handleCallPeerFrame,
  "call.ping": handleCallPeerFrame,
  "groupcall.join": handleGroupCallJoin,
  "groupcall.leave": handleGroupCallLeave,
  "groupcall.decline": handleGroupCallDecline,
  "groupcall.update": handleGroupCallUpdate,
  "groupcall.ping": handleGroupCallPing,
  "groupcall.key": handleGroupCallKey,
  "groupcall.key.request": handleGroupCallKey,
};

/**
 * Parses and runs one text frame. Every failure becomes an `error` frame on
 * the same socket; the socket stays open.
 */
export async function dispatchFrame(
  context: FrameContext,
  data: string | ArrayBuffer,
): Promise<void> {
  let raw: unknown;
  try {
    raw = parseText(data);
    checkFrameSize(data);
    const parsed = ClientFrame.safeParse(raw);
    if (!parsed.success) throw describeIssue(parsed.error);
    const frame = parsed.data;
    // The map pairs each type with its handler; TypeScript cannot follow
    // that link through the indexed access, hence the widening cast.
    const handler = handlers[frame.type] as (
      context: FrameContext,
      frame: ClientFrame,
    ) => Promise<void>;
    await handler(context, frame);
  } catch (error) {
    context.reply(errorFrame(context, raw, error));
  }
}

/**
 * Maximum length of a frame that is parsed at all. A frame between
 * MAX_FRAME_CHARS and this length is parsed only so that its error can name
 * the message. The workerd of the tests delivers a 2 MiB frame, so the
 * parse is bounded here rather than by the platform's message limit.
 */
const MAX_PARSED_FRAME_CHARS = 4 * MAX_FRAME_CHARS;

function frameTooLarge(): ApiError {
  return new ApiError(
    "too_large",
    `The frame is over ${MAX_FRAME_CHARS} characters; message bodies may have at most ${MAX_BODY_BYTES} bytes.`,
  );
}

function parseText(data: string | ArrayBuffer): unknown {
  if (typeof data !== "string") {
    throw new ApiError(
      "invalid_request",
      "Frames must be JSON text, not binary.",
    );
  }
  if (data.length > MAX_PARSED_FRAME_CHARS) throw frameTooLarge();
  try {
    return JSON.parse(data);
  } catch {
    if (data.length > MAX_FRAME_CHARS) throw frameTooLarge();
    throw new ApiError("invalid_request", "The frame is not valid JSON.");
  }
}

/**
 * Rejects a frame over MAX_FRAME_CHARS. It runs after parsing, so the
 * error frame can name the chat and message of an oversized `send` and the
 * client marks that message failed instead of resending it.
 */
function checkFrameSize(data: string | ArrayBuffer): void {
  if (typeof data === "string" && data.length > MAX_FRAME_CHARS) {
    throw frameTooLarge();
  }
}

/** Builds an `error` frame with whatever ids of the failed frame parse. */
function errorFrame(
  context: FrameContext,
  raw: unknown,
  error: unknown,
): ServerFrame {
  const fields =
    typeof raw === "object" && raw !== null
      ? (raw as Record<string, unknown>)
      : {};
  const ids = {
    userId: context.userId,
    deviceId: context.deviceId,
    frameType: typeof fields.type === "string" ? fields.type.slice(0, 32) : "",
  };
  let body: ErrorBody;
  if (error instanceof ApiError) {
    body = error.toBody();
    log("hub.frame_rejected", { ...ids, code: body.code, field: body.field });
  } else {
    log("hub.frame_failed", { ...ids, error: errorMessage(error) });
    body = {
      code: "internal",
      message: "The server failed to handle this frame.",
    };
  }
  const frame: Extract<ServerFrame, { type: "error" }> = {
    type: "error",
    error: body,
  };
  if (typeof fields.rid === "string" && fields.rid.length <= 64)
    frame.rid = fields.rid;
  const chat = chatIdSchema.safeParse(fields.chatId);
  if (chat.success) frame.chatId = chat.data;
  const message = fields.message;
  if (typeof message === "object" && message !== null && "id" in message) {
    const id = messageIdSchema.safeParse(message.id);
    if (id.success) frame.id = id.data;
  }
  return frame;
}

async function handleSend(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "send" }>,
) {
  const retryAfter = context.takeSendToken();
  if (retryAfter > 0) {
    throw new ApiError(
      "rate_limited",
      "Too many messages at once; slow down.",
      undefined,
      retryAfter,
    );
  }
  const result = unwrap(await context.sendToRoom(frame.chatId, frame.message));
  context.reply({
    type: "send.ok",
    chatId: frame.chatId,
    id: frame.message.id,
    seq: result.seq,
    ts: result.ts,
  });
  // The room sends a new message to the other members' hubs only.
  if (result.stored !== null) await context.deliver(result.stored);
}

async function handleView(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "view" }>,
) {
  // Chats missing from the chat list are ignored rather than rejected: a
  // device may list a chat the person just left on another device.
  const known = (id: string) => context.store.chat(id) !== undefined;
  const open = frame.chatId !== null && known(frame.chatId);
  await context.setView({
    chatId: open ? frame.chatId : null,
    listed: frame.listed.filter(known),
  });
}

async function handleTyping(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "typing" }>,
) {
  const chat = context.store.chat(frame.chatId);
  if (chat === undefined || chat.left) {
    throw new ApiError(
      "forbidden",
      "You are not a member of this chat.",
      "chatId",
    );
  }
  context.setTyping(frame.chatId, frame.state);
  return Promise.resolve();
}

async function handleAck(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "ack" }>,
) {
  context.acknowledge(frame.chars);
  return Promise.resolve();
}

async function handleHistory(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "history" }>,
) {
  const cursor =
    frame.beforeSeq !== undefined
      ? { beforeSeq: frame.beforeSeq }
      : { afterSeq: frame.afterSeq ?? 0 };
  const room = chatRoom(context.env, frame.chatId);
  const page = unwrap(await room.history(context.userId, cursor, frame.limit));
  context.reply({
    type: "messages",
    rid: frame.rid,
    chatId: frame.chatId,
    ...page,
  });
}

async function handleReceipt(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "receipt" }>,
) {
  await applyReceipt(
    { ...context, sharesRead: context.sharesRead() },
    frame.chatId,
    frame.kind,
    frame.seq,
  );
}

async function handleDelete(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "delete" }>,
) {
  const room = chatRoom(context.env, frame.chatId);
  const { seq } = unwrap(
    await room.deleteForEveryone(context.userId, frame.messageId),
  );
  context.reply({
    type: "deleted",
    rid: frame.rid,
    chatId: frame.chatId,
    id: frame.messageId,
    seq,
  });
}
