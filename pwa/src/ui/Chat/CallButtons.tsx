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

/** Renders the voice and video call buttons of a one-to-one chat. */
export function CallButtons({ chat }: { chat: ChatRow }) {
  if (chat.kind !== "direct" || chat.peerId === null || chat.left) {
    return null;
  }
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
