import { signal, type Signal } from "@preact/signals";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { MessageRow } from "../../data/index.ts";

/**
 * State of one open chat shared by its header, message list and composer:
 * what the composer is replying to or editing, and requests to show a
 * message in the list.
 */
export interface ChatState {
  chatId: string;
  isGroup: boolean;
  replyTo: Signal<MessageRow | null>;
  editing: Signal<MessageRow | null>;
  /**
   * A message to scroll to. It is highlighted when the person requested it
   * through a reply quote or a search result. The list loads older pages
   * until the message is found.
   */
  jumpTo: Signal<JumpRequest | null>;
  /** The message briefly highlighted after a jump. */
  highlighted: Signal<string | null>;
  /** A request to scroll to the newest message, counted so repeats register. */
  toBottom: Signal<number>;
  /** The composer's textbox, focused after picking Reply or Edit. */
  composer: { current: HTMLTextAreaElement | null };
  /**
   * Files chosen, dropped or pasted that the attachment sheet shows before
   * they are sent, or null while the sheet is closed.
   */
  attachments: Signal<File[] | null>;
  /** The message whose photo or video the viewer shows, or null. */
  viewing: Signal<string | null>;
  /**
   * The loaded messages with a photo or video, oldest first, which the
   * viewer steps through.
   */
  gallery: Signal<MessageRow[]>;
  /** Whether the list has older messages to load, and is loading them. */
  history: Signal<{ hasOlder: boolean; loading: boolean }>;
  /** Loads the next older page into the list. The message list sets it. */
  loadOlder: { current: () => void };
}

export interface JumpRequest {
  id: string;
  highlight: boolean;
}

export function createChatState(
  chatId: string,
  jumpTo: string | null,
): ChatState {
  return {
    chatId,
    // Group ids start with "g_", one-to-one chat ids with "dm_".
    isGroup: chatId.startsWith("g_"),
    replyTo: signal(null),
    editing: signal(null),
    jumpTo: signal(jumpTo === null ? null : { id: jumpTo, highlight: true }),
    highlighted: signal(null),
    toBottom: signal(0),
    composer: { current: null },
    attachments: signal(null),
    viewing: signal(null),
    gallery: signal([]),
    history: signal({ hasOlder: false, loading: false }),
    loadOlder: { current: () => {} },
  };
}

export const ChatContext = createContext<ChatState | null>(null);

export function useChatState(): ChatState {
  const state = useContext(ChatContext);
  if (state === null) throw new Error("useChatState needs a ChatContext");
  return state;
}
