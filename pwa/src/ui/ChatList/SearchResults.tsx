import { useChat, useSearch, type MessageRow } from "../../data/index.ts";
import { ChatTitle, isMe, PersonName } from "../common/names.tsx";
import { formatListTime } from "../format.ts";
import { chatPath, onLinkClick } from "../router.ts";
import { ChatRows } from "./ChatList.tsx";

/** Chats whose title matches and messages whose text matches the query. */
export function SearchResults({ query }: { query: string }) {
  const result = useSearch(query);
  if (result === undefined) return null;
  if (result.chats.length === 0 && result.messages.length === 0) {
    return (
      <p class="chat-list__no-results">
        No chats or messages found for “{query}”.
      </p>
    );
  }
  return (
    <>
      {result.chats.length > 0 && (
        <section aria-labelledby="search-chats">
          <h2 id="search-chats" class="chat-list__section">
            Chats
          </h2>
          <ChatRows chats={result.chats} label="Matching chats" />
        </section>
      )}
      {result.messages.length > 0 && (
        <section aria-labelledby="search-messages">
          <h2 id="search-messages" class="chat-list__section">
            Messages
          </h2>
          <ul class="chat-list" role="list" aria-label="Matching messages">
            {result.messages.map((message) => (
              <MessageResult key={message.id} message={message} query={query} />
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function MessageResult(props: { message: MessageRow; query: string }) {
  const { message } = props;
  const chat = useChat(message.chatId);
  const href = chatPath(message.chatId, message.id);
  return (
    <li class="chat-row">
      <a
        class="chat-row__link"
        href={href}
        onClick={(event) => onLinkClick(event, href)}
      >
        <span class="chat-row__text">
          <span class="chat-row__top">
            <span class="chat-row__title">
              {chat === undefined ? "…" : <ChatTitle chat={chat} />}
            </span>
            <span class="chat-row__time">{formatListTime(message.ts)}</span>
          </span>
          <span class="chat-row__preview" dir="auto">
            {(chat?.kind === "group" || isMe(message.senderId)) && (
              <>
                <PersonName id={message.senderId} subject />:{" "}
              </>
            )}
            <Highlighted text={message.text} query={props.query} />
          </span>
        </span>
      </a>
    </li>
  );
}

/** The text with each case-insensitive match of `query` in a `<mark>`. */
function Highlighted({ text, query }: { text: string; query: string }) {
  const lower = text.toLowerCase();
  const needle = query.toLowerCase();
  const parts = [];
  let from = 0;
  let index = lower.indexOf(needle, from);
  while (index !== -1 && needle !== "") {
    if (index > from) parts.push(text.slice(from, index));
    parts.push(
      <mark key={index}>{text.slice(index, index + needle.length)}</mark>,
    );
    from = index + needle.length;
    index = lower.indexOf(needle, from);
  }
  parts.push(text.slice(from));
  return <>{parts}</>;
}
