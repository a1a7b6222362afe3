import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  connection,
  firstUnreadId,
  loadOlder,
  markRead,
  useChat,
  useMessages,
  type MessageRow,
} from "../../data/index.ts";
import { Icon } from "./icons.tsx";
import { errorMessage, showNotice } from "../common/notice.tsx";
import { useChatState, type ChatState } from "./chatState.ts";
import { KeyChangeNotice, useNoticesByMessage } from "./KeyChangeNotice.tsx";
import { MessageItem } from "./Message.tsx";
import { useVirtualList } from "./useVirtualList.ts";

/** Messages added to the list each time it nears its top. */
const PAGE = 50;
/** Distance from the top, in pixels, at which older messages are loaded. */
const LOAD_OLDER_AT = 800;
/** Distance from the bottom, in pixels, above which "Jump to latest" shows. */
const JUMP_BUTTON_AT = 300;
const HIGHLIGHT_MS = 2000;
const NO_MESSAGES: MessageRow[] = [];

/**
 * The `role="log"` of a chat's messages, virtualized. On open it shows the
 * first unread message under an "Unread messages" separator, or else the
 * newest message.
 */
export function MessageList({ chatId }: { chatId: string }) {
  const state = useChatState();
  const messageWindow = useMessageWindow(chatId);
  const { messages } = messageWindow;
  const scroller = useRef<HTMLDivElement>(null);
  const keys = useMemo(() => messages?.map((m) => m.id) ?? [], [messages]);
  const findMessage = useMemo(() => lookupById(messages ?? []), [messages]);
  const notices = useNoticesByMessage(chatId, messages ?? NO_MESSAGES);
  const list = useVirtualList(scroller, keys, { estimate: 72, overscan: 800 });
  const unreadId = useFirstUnread(chatId);
  const positioned = useRef(false);
  const ready = messages !== undefined && unreadId !== undefined;

  useEffect(() => {
    if (!ready || positioned.current) return;
    if (state.jumpTo.value === null && unreadId !== null) {
      state.jumpTo.value = { id: unreadId, highlight: false };
    }
    if (state.jumpTo.value === null) {
      positioned.current = true;
      list.scrollToBottom();
    }
  }, [ready]);

  useJumps(state, messageWindow, keys, list, positioned);
  useGallery(state, messageWindow);
  const unread = useChat(chatId)?.unread ?? 0;
  useMarkRead(chatId, ready ? messages?.at(-1)?.id : undefined, unread);

  const toBottom = state.toBottom.value;
  useEffect(() => {
    if (toBottom > 0) list.scrollToBottom();
  }, [toBottom]);

  const onScroll = () => {
    list.onScroll();
    const element = scroller.current;
    if (
      element !== null &&
      positioned.current &&
      element.scrollTop < LOAD_OLDER_AT
    ) {
      messageWindow.loadMore();
    }
  };

  // A short chat never scrolls, so the next page is loaded until the list
  // fills the viewport or the history ends.
  useEffect(() => {
    const element = scroller.current;
    if (
      element !== null &&
      positioned.current &&
      element.scrollTop < LOAD_OLDER_AT
    ) {
      messageWindow.loadMore();
    }
  }, [messages]);

  const rows = (messages ?? []).slice(list.start, list.end);
  return (
    <div class="messages">
      <div
        ref={scroller}
        class="messages__scroller"
        role="log"
        aria-label="Messages"
        tabIndex={0}
        onScroll={onScroll}
      >
        <div ref={list.topSpacer} aria-hidden="true" />
        {notices.unplaced.map((notice) => (
          <KeyChangeNotice key={notice.n} notice={notice} />
        ))}
        {rows.map((message, offset) => (
          <div
            key={message.id}
            ref={list.measureRef(message.id)}
            class="messages__row"
          >
            {notices.byMessage.get(message.id)?.before.map((notice) => (
              <KeyChangeNotice key={notice.n} notice={notice} />
            ))}
            <MessageItem
              message={message}
              previous={messages?.[list.start + offset - 1]}
              unreadMarker={message.id === unreadId}
              quoted={
                message.replyTo === null
                  ? undefined
                  : findMessage(message.replyTo)
              }
            />
            {notices.byMessage.get(message.id)?.after.map((notice) => (
              <KeyChangeNotice key={notice.n} notice={notice} />
            ))}
          </div>
        ))}
        <div ref={list.bottomSpacer} aria-hidden="true" />
      </div>
      {/* loadOlder waits for the network while offline; the status line
          already says so. */}
      {messageWindow.loading && connection.value === "online" && (
        <div class="messages__loading" aria-live="polite">
          Loading older messages…
        </div>
      )}
      {list.distanceFromBottom > JUMP_BUTTON_AT && (
        <button
          type="button"
          class="messages__jump"
          aria-label="Jump to latest"
          title="Jump to latest"
          onClick={() => list.scrollToBottom()}
        >
          <Icon name="down" />
        </button>
      )}
    </div>
  );
}

/**
 * Returns a lookup of `messages` by id that builds its index on the first
 * call, so loading a page costs no pass over every loaded message unless a
 * shown message is a reply.
 */
function lookupById(
  messages: MessageRow[],
): (id: string) => MessageRow | undefined {
  let byId: Map<string, MessageRow> | undefined;
  return (id) => {
    byId ??= new Map(messages.map((message) => [message.id, message]));
    return byId.get(id);
  };
}

interface MessageWindow {
  messages: MessageRow[] | undefined;
  /** False once the window contains the chat's oldest readable message. */
  hasOlder: boolean;
  loading: boolean;
  loadMore: () => void;
}

/**
 * The newest messages of a chat, a page more each time `loadMore` runs, and
 * when the local copy runs out, an older page fetched from the server.
 */
function useMessageWindow(chatId: string): MessageWindow {
  const [pages, setPages] = useState(1);
  const [serverDone, setServerDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const busy = useRef(false);
  const abort = useRef(new AbortController());
  const paged = useMessages(chatId, pages, PAGE);
  const messages = paged?.rows;
  // Until a requested page has arrived, a short list does not mean the end.
  const settling = paged?.settling ?? false;
  const localDone = paged?.complete ?? false;
  const hasOlder = settling || !(serverDone && localDone);

  // loadOlder waits for a connection while offline; leaving the chat ends it.
  useEffect(() => () => abort.current.abort(), []);

  const loadMore = () => {
    if (busy.current || settling || !hasOlder || messages === undefined) {
      return;
    }
    busy.current = true;
    setLoading(true);
    const signal = abort.current.signal;
    const askServer = localDone && !serverDone;
    fetchMore(chatId, askServer, signal)
      .then((more) => {
        if (more) setPages((count) => count + 1);
        else setServerDone(true);
      })
      .catch((error: unknown) => {
        if (!signal.aborted) showNotice(errorMessage(error));
      })
      .finally(() => {
        busy.current = false;
        setLoading(false);
      });
  };
  return { messages, hasOlder, loading: loading || settling, loadMore };
}

/**
 * Returns false when the server has nothing older. The local copy always
 * may have more, so without `askServer` it returns true.
 */
async function fetchMore(
  chatId: string,
  askServer: boolean,
  signal: AbortSignal,
): Promise<boolean> {
  return askServer ? await loadOlder(chatId, signal) : true;
}

/** The first unread message when the chat opened; undefined while loading. */
function useFirstUnread(chatId: string): string | null | undefined {
  const [id, setId] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    let current = true;
    firstUnreadId(chatId)
      .then((found) => {
        if (current) setId(found);
      })
      .catch(() => {
        if (current) setId(null);
      });
    return () => {
      current = false;
    };
  }, [chatId]);
  return id;
}

/** Scrolls to a requested message, loading older pages until it appears. */
function useJumps(
  state: ChatState,
  messageWindow: MessageWindow,
  keys: string[],
  list: ReturnType<typeof useVirtualList>,
  positioned: { current: boolean },
) {
  const jump = state.jumpTo.value;
  useEffect(() => {
    if (jump === null || messageWindow.messages === undefined) return;
    if (keys.includes(jump.id)) {
      state.jumpTo.value = null;
      positioned.current = true;
      list.scrollToKey(jump.id, jump.highlight ? "center" : "start");
      if (jump.highlight) highlight(state, jump.id);
      return;
    }
    if (messageWindow.loading) return;
    if (messageWindow.hasOlder) {
      messageWindow.loadMore();
      return;
    }
    state.jumpTo.value = null;
    if (jump.highlight) showNotice("That message is not available.");
    if (!positioned.current) {
      positioned.current = true;
      list.scrollToBottom();
    }
  }, [
    jump,
    messageWindow.messages,
    messageWindow.hasOlder,
    messageWindow.loading,
  ]);
}

/**
 * Keeps the viewer's list of photos and videos in step with the list, and
 * lets the viewer load older pages.
 */
function useGallery(state: ChatState, messageWindow: MessageWindow) {
  const { messages, hasOlder, loading } = messageWindow;
  useEffect(() => {
    state.loadOlder.current = messageWindow.loadMore;
  });
  useEffect(() => {
    state.history.value = { hasOlder, loading };
  }, [hasOlder, loading]);
  useEffect(() => {
    state.gallery.value = (messages ?? []).filter(
      (message) =>
        !message.deleted &&
        (message.media?.kind === "image" || message.media?.kind === "video"),
    );
  }, [messages]);
}

function highlight(state: ChatState, id: string) {
  state.highlighted.value = id;
  setTimeout(() => {
    if (state.highlighted.value === id) state.highlighted.value = null;
  }, HIGHLIGHT_MS);
}

/**
 * Marks the chat read while it is open and the page is visible: when a newer
 * message shows and whenever the inbox still counts unread messages.
 */
function useMarkRead(
  chatId: string,
  newestId: string | undefined,
  unread: number,
) {
  useEffect(() => {
    if (newestId === undefined) return;
    const mark = () => {
      if (document.visibilityState !== "visible") return;
      markRead(chatId).catch((error: unknown) => {
        console.warn(
          JSON.stringify({
            event: "mark_read_failed",
            chatId,
            error: String(error),
          }),
        );
      });
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [chatId, newestId, unread > 0]);
}
