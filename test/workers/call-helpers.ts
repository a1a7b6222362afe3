import {
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { v7 as uuidv7 } from "uuid";
import { CallEvent, type ServerFrame } from "../../protocol/index.ts";
import type { TestSocket } from "./helpers.ts";

type FrameOf<K extends ServerFrame["type"]> = Extract<ServerFrame, { type: K }>;

export function newCallId(): string {
  return uuidv7();
}

export function roomStub(chatId: string) {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
}

/** Sends `call.start` and waits for the "calling" reply; returns the id. */
export async function startCall(
  socket: TestSocket,
  chatId: string,
  video = false,
): Promise<string> {
  const callId = newCallId();
  socket.send({ type: "call.start", callId, chatId, video });
  await socket.next(
    "call.state",
    (frame) => frame.call.callId === callId && frame.state === "calling",
  );
  return callId;
}

/** Waits for a `call.state` frame of `callId` in `state`. */
export function nextState(
  socket: TestSocket,
  callId: string,
  state: FrameOf<"call.state">["state"],
): Promise<FrameOf<"call.state">> {
  return socket.next(
    "call.state",
    (frame) => frame.call.callId === callId && frame.state === state,
  );
}

export function nextEnded(
  socket: TestSocket,
  callId: string,
): Promise<FrameOf<"call.ended">> {
  return socket.next("call.ended", (frame) => frame.callId === callId);
}

/** Waits for the call entry (a `system` message) of `callId`. */
export async function nextCallEntry(
  socket: TestSocket,
  callId: string,
): Promise<CallEvent> {
  const frame = await socket.next("message", (candidate) => {
    if (candidate.message.kind !== "system") return false;
    const body: unknown = JSON.parse(candidate.message.body);
    return CallEvent.safeParse(body).data?.callId === callId;
  });
  return CallEvent.parse(JSON.parse(frame.message.body));
}

/** Returns the call entries stored in the chat's log. */
export async function storedCallEntries(chatId: string): Promise<CallEvent[]> {
  return runInDurableObject(roomStub(chatId), (_room, state) =>
    state.storage.sql
      .exec<{ body: string }>(
        "SELECT body FROM message WHERE kind = 'system' ORDER BY seq",
      )
      .toArray()
      .map((row) => CallEvent.safeParse(JSON.parse(row.body)))
      .flatMap((parsed) => (parsed.success ? [parsed.data] : [])),
  );
}

/**
 * Moves a deadline column of the chat's call into the past and runs the
 * room's alarm, as if the deadline had passed.
 */
export async function expireCallDeadline(
  chatId: string,
  column: "ring_deadline" | "caller_ping_at" | "callee_ping_at",
): Promise<boolean> {
  const stub = roomStub(chatId);
  await runInDurableObject(stub, (_room, state) => {
    state.storage.sql.exec(
      `UPDATE call SET ${column} = 0 WHERE ended_at IS NULL`,
    );
  });
  return runDurableObjectAlarm(stub);
}

/** Moves the accept of the chat's live call `ms` into the past. */
export async function backdateAccept(chatId: string, ms: number) {
  await runInDurableObject(roomStub(chatId), (_room, state) => {
    state.storage.sql.exec(
      "UPDATE call SET accepted_at = accepted_at - ? WHERE ended_at IS NULL",
      ms,
    );
  });
}

/**
 * Sets the last ping of one party of the chat's live call to `ms` after
 * the accept, and runs the room's alarm. Returns false when no alarm was
 * set.
 */
export async function silenceAfterAccept(
  chatId: string,
  column: "caller_ping_at" | "callee_ping_at",
  ms: number,
): Promise<boolean> {
  const stub = roomStub(chatId);
  await runInDurableObject(stub, (_room, state) => {
    state.storage.sql.exec(
      `UPDATE call SET ${column} = accepted_at + ? WHERE ended_at IS NULL`,
      ms,
    );
  });
  return runDurableObjectAlarm(stub);
}
