import type { ChatRow } from "../../data/index.ts";
import { loadCalls } from "../../data/call-frames.ts";
import { run } from "../common/notice.tsx";
import { Icon } from "./icons.tsx";

/**
 * Calls the other person of the one-to-one chat `chatId`, loading the call
 * engine first.
 */
export function callChat(chatId: string, video: boolean) {
  run(async () => {
    const calls = await loadCalls();
    await calls.startCall(chatId, video);
  });
}

/**
 * Starts the group chat's call, or joins the one running, loading the
 * call engine first.
 */
export function joinGroupChatCall(chatId: string, video: boolean) {
  run(async () => {
    const calls = await loadCalls();
    await calls.joinGroupCall(chatId, video);
  });
}

function GroupCallButtons({ chat }: { chat: ChatRow }) {
  return (
    <>
      <button
        type="button"
        class="icon-button"
        aria-label="Start voice call"
        title="Start voice call"
        onClick={() => joinGroupChatCall(chat.id, false)}
      >
        <Icon name="call" />
      </button>
      <button
        type="button"
        class="icon-button"
        aria-label="Start video call"
        title="Start video call"
        onClick={() => joinGroupChatCall(chat.id, true)}
      >
        <Icon name="videocam" />
      </button>
    </>
  );
}

/**
 * Renders the voice and video call buttons of a chat: calls of the other
 * person in a one-to-one chat, group calls through the SFU in a group.
 */
export function CallButtons({ chat }: { chat: ChatRow }) {
  if (chat.left) return null;
  if (chat.kind === "group") {
    return chat.groupCall === null ? <GroupCallButtons chat={chat} /> : null;
  }
  if (chat.peerId === null) return null;
  return (
    <>
      <button
        type="button"
        class="icon-button"
        aria-label="Voice call"
        title="Voice call"
        onClick={() => callChat(chat.id, false)}
      >
        <Icon name="call" />
      </button>
      <button
        type="button"
        class="icon-button"
        aria-label="Video call"
        title="Video call"
        onClick={() => callChat(chat.id, true)}
      >
        <Icon name="videocam" />
      </button>
    </>
  );
}

/** Offers "Join" while the group's call runs, with its participant count. */
export function GroupCallBanner({ chat }: { chat: ChatRow }) {
  const call = chat.groupCall;
  if (call === null || chat.left) return null;
  return (
    <div class="unknown-banner" role="region" aria-label="Group call">
      <p class="unknown-banner__text">
        Call in progress · {call.participants} joined
      </p>
      <button
        type="button"
        class="button"
        onClick={() => joinGroupChatCall(chat.id, call.video)}
      >
        Join
      </button>
    </div>
  );
}
