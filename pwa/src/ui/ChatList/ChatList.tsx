import { useState } from "preact/hooks";
import { useChats, type ChatRow } from "../../data/index.ts";
import { Icon } from "../common/Icon.tsx";
import { InstallButton } from "../common/StatusBar.tsx";
import { navigate, route } from "../router.ts";
import { ChatListItem } from "./ChatListItem.tsx";
import { Banners } from "./Banners.tsx";
import { lazyScreen } from "../common/lazy.tsx";
import { useVisibleRows } from "./useVisibleRows.ts";
import "./ChatList.css";

// Search results load on the first query, because the first screen has a
// size budget.
const SearchResults = lazyScreen("SearchResults", () =>
  import("./SearchResults.tsx").then((module) => module.SearchResults),
);

/** The side pane: header actions, search, and the list of chats. */
export function ChatList() {
  const [query, setQuery] = useState("");
  const searching = query.trim() !== "";
  return (
    <div class="screen">
      <header class="screen__header">
        <h1>Chats</h1>
        <InstallButton variant="icon" />
        <HeaderButton label="Calls" icon="call" to="/calls" />
        <HeaderButton label="Contacts" icon="person" to="/contacts" />
        <HeaderButton label="New chat" icon="newChat" to="/new" />
        <HeaderButton label="New group" icon="group" to="/new-group" />
        <HeaderButton label="Settings" icon="settings" to="/settings" />
      </header>
      <div class="chat-list__search">
        <input
          type="search"
          class="chat-list__search-input"
          aria-label="Search"
          placeholder="Search"
          value={query}
          onInput={(event) => setQuery(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === "Escape") setQuery("");
          }}
        />
      </div>
      <div class="chat-list__scroll">
        {searching ? <SearchResults query={query.trim()} /> : <Chats />}
      </div>
    </div>
  );
}

function HeaderButton(props: {
  label: string;
  icon: "newChat" | "group" | "settings" | "person" | "call";
  to: string;
}) {
  return (
    <button
      type="button"
      class="icon-button"
      aria-label={props.label}
      title={props.label}
      onClick={() => navigate(props.to)}
    >
      <Icon name={props.icon} />
    </button>
  );
}

function Chats() {
  const chats = useChats();
  const [showArchived, setShowArchived] = useState(false);
  if (chats === undefined) return null;
  if (chats.length === 0) return <EmptyState />;

  const archived = chats.filter((chat) => chat.archived);
  const shown = showArchived
    ? archived
    : chats.filter((chat) => !chat.archived);
  return (
    <>
      <Banners />
      {(archived.length > 0 || showArchived) && (
        <button
          type="button"
          class="chat-list__archived"
          aria-expanded={showArchived}
          onClick={() => setShowArchived(!showArchived)}
        >
          {showArchived ? "Back to chats" : `Archived (${archived.length})`}
        </button>
      )}
      <ChatRows chats={shown} label="Chat list" reportVisible />
    </>
  );
}

/**
 * A `role="list"` of chat rows, marking the open chat as current. With
 * `reportVisible`, the rows on screen are sent as the device's view.
 */
export function ChatRows(props: {
  chats: ChatRow[];
  label: string;
  reportVisible?: boolean;
}) {
  const current = route.value;
  const openId =
    current.name === "chat" || current.name === "info" ? current.chatId : null;
  const key =
    props.reportVisible === true
      ? props.chats.map((chat) => chat.id).join(",")
      : "";
  const list = useVisibleRows(key);
  return (
    <ul class="chat-list" role="list" aria-label={props.label} ref={list}>
      {props.chats.map((chat) => (
        <ChatListItem key={chat.id} chat={chat} current={chat.id === openId} />
      ))}
    </ul>
  );
}

function EmptyState() {
  return (
    <div class="chat-list__empty">
      <p class="chat-list__empty-title">No chats yet</p>
      <p>Find someone by their phone number and say hello.</p>
      <button type="button" class="button" onClick={() => navigate("/new")}>
        Start a chat
      </button>
    </div>
  );
}
