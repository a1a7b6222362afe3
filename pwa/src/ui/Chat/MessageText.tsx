import type { MessageRow } from "../../data/index.ts";
import { PersonName } from "../common/names.tsx";
import { linkify } from "../linkify.ts";
import { useChatState } from "./chatState.ts";
import { quoteText } from "./Media/label.ts";

/**
 * Message text as text nodes, with http(s) URLs as anchors. Nothing is
 * parsed as HTML; newlines show through `white-space: pre-wrap`.
 */
export function MessageText({ text }: { text: string }) {
  return (
    <p class="bubble__text" dir="auto">
      {linkify(text).map((part, index) =>
        part.kind === "text" ? (
          part.text
        ) : (
          <a
            key={index}
            href={part.href}
            target="_blank"
            rel="noopener noreferrer nofollow"
          >
            {part.text}
          </a>
        ),
      )}
    </p>
  );
}

/**
 * The quoted message of a reply; a click scrolls to the original.
 * NOTE: the quote shows its text only while the original is inside the
 * loaded window of the list, because the data layer offers no lookup of a
 * single message. Until then it reads "Quoted message".
 */
export function ReplyQuote(props: {
  id: string;
  quoted: MessageRow | undefined;
}) {
  const state = useChatState();
  const onClick = () => {
    state.jumpTo.value = { id: props.id, highlight: true };
  };
  return (
    <button
      type="button"
      class="quote"
      title="Show quoted message"
      onClick={onClick}
    >
      {props.quoted === undefined ? (
        <span class="quote__text">Quoted message</span>
      ) : (
        <QuoteBody quoted={props.quoted} />
      )}
    </button>
  );
}

export function QuoteBody({ quoted }: { quoted: MessageRow }) {
  return (
    <>
      <span class="quote__sender">
        <PersonName id={quoted.senderId} subject />
      </span>
      <span class="quote__text">
        {quoted.deleted ? "This message was deleted" : quoteText(quoted)}
      </span>
      {!quoted.deleted && quoted.media?.preview !== undefined && (
        <img class="quote__thumb" src={quoted.media.preview} alt="" />
      )}
    </>
  );
}
