import {
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { v7 as uuidv7 } from "uuid";
import {
  GroupCallEvent,
  type ChatSummary,
  type GroupCallInfo,
  type ServerFrame,
} from "../../protocol/index.ts";
import type { TestSocket } from "./helpers.ts";

type FrameOf<K extends ServerFrame["type"]> = Extract<ServerFrame, { type: K }>;

export function roomStub(chatId: string) {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
}

/** Sends `groupcall.join` and returns the state naming this device. */
export async function joinCall(
  socket: TestSocket,
  deviceId: string,
  chatId: string,
  callId: string = uuidv7(),
  video = false,
): Promise<GroupCallInfo> {
  socket.send({ type: "groupcall.join", chatId, callId, video });
  const frame = await nextGroupState(socket, (call) =>
    call.participants.some((p) => p.deviceId === deviceId),
  );
  return frame.call;
}

/** Waits for a `groupcall.state` frame whose call passes `test`. */
export function nextGroupState(
  socket: TestSocket,
  test: (call: GroupCallInfo) => boolean = () => true,
): Promise<FrameOf<"groupcall.state">> {
  return socket.next("groupcall.state", (frame) => test(frame.call));
}

/** Sends `sync` and returns the chat list row of `chatId`. */
export async function inboxRow(
  socket: TestSocket,
  chatId: string,
): Promise<ChatSummary | undefined> {
  const rid = uuidv7();
  socket.send({ type: "sync", rid, chats: [] });
  const inbox = await socket.next("inbox", (frame) => frame.rid === rid);
  return inbox.chats.find((chat) => chat.id === chatId);
}

/** Returns the group call entries stored in the chat's log. */
export async function storedGroupCallEntries(
  chatId: string,
): Promise<GroupCallEvent[]> {
  return runInDurableObject(roomStub(chatId), (_room, state) =>
    state.storage.sql
      .exec<{ body: string }>(
        "SELECT body FROM message WHERE kind = 'system' ORDER BY seq",
      )
      .toArray()
      .map((row) => GroupCallEvent.safeParse(JSON.parse(row.body)))
      .flatMap((parsed) => (parsed.success ? [parsed.data] : [])),
  );
}

/**
 * Moves the last ping of `deviceId` `ms` into the past and runs the
 * room's alarm, as if the device had been silent that long.
 */
export async function silenceDevice(
  chatId: string,
  deviceId: string,
  ms: number,
): Promise<void> {
  const stub = roomStub(chatId);
  await runInDurableObject(stub, (_room, state) => {
    state.storage.sql.exec(
      `UPDATE group_call_participant SET ping_at = ping_at - ?
       WHERE device_id = ?`,
      ms,
      deviceId,
    );
  });
  await runDurableObjectAlarm(stub);
}
