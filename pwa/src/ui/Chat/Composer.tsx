import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { MAX_TEXT_BYTES, utf8Length } from "../../../../protocol/index.ts";
import {
  composerChanged,
  composerIdle,
  editFailed,
  editMessage,
  sendText,
  type MessageRow,
} from "../../data/index.ts";
import { Icon } from "./icons.tsx";
import { PersonName } from "../common/names.tsx";
import { errorMessage } from "../common/notice.tsx";
import { formatKilobytes } from "../format.ts";
import { AttachMenu, addAttachments, filesOf } from "./Attach/AttachMenu.tsx";
import { AttachmentSheet } from "./Attach/AttachmentSheet.tsx";
import { useChatState } from "./chatState.ts";
import { quoteText } from "./Media/label.ts";
import {
  MicButton,
  RecordingBar,
  useVoiceRecording,
} from "./Voice/VoiceRecording.tsx";
import "./Composer.css";

/** Tallest the textbox grows before it scrolls, in pixels. */
const MAX_INPUT_HEIGHT = 160;

/** Unsent text per chat, kept while the page lives, as other messengers do. */
const drafts = new Map<string, string>();

/**
 * The message box: Enter sends, Shift+Enter adds a line. While replying or
 * editing, a banner above it shows what is quoted or edited, with a cancel
 * button. Beside it are the attach menu and, while the box is empty, the
 * microphone for voice notes. A pasted file opens the attachment sheet.
 */
export function Composer({ chatId }: { chatId: string }) {
  const state = useChatState();
  const [text, setText] = useState(() => drafts.get(chatId) ?? "");
  const [error, setError] = useState("");
  const input = useRef<HTMLTextAreaElement>(null);
  const editing = state.editing.value;
  const replyTo = state.replyTo.value;
  const bytes = utf8Length(text);
  const tooLong = bytes > MAX_TEXT_BYTES;
  const empty = text.trim() === "";
  const voice = useVoiceRecording(chatId, () => {
    const id = state.replyTo.value?.id;
    state.replyTo.value = null;
    return id;
  });
  const attaching = state.attachments.value !== null;

  useEffect(() => {
    state.composer.current = input.current;
  }, []);

  // Closing the chat ends typing in it.
  useEffect(() => () => composerIdle(chatId), [chatId]);

  useEffect(() => {
    if (editing === null && text !== "") drafts.set(chatId, text);
    else drafts.delete(chatId);
  }, [text, editing === null]);

  // Starting an edit loads the message's text into the box, except when a
  // failed edit is put back with the person's draft.
  const keepDraft = useRef(false);
  useEffect(() => {
    if (editing !== null && !keepDraft.current) setText(editing.text);
    keepDraft.current = false;
  }, [editing?.id]);

  useLayoutEffect(() => {
    const element = input.current;
    if (element === null) return;
    element.style.height = "auto";
    const height = Math.min(element.scrollHeight, MAX_INPUT_HEIGHT);
    element.style.height = `${height}px`;
  }, [text]);

  // The box empties at once, as in other messengers, and gets its text back
  // only when the data layer rejects the message and the box is still empty.
  const submit = async () => {
    if (empty || tooLong) return;
    const draft = text;
    const target = editing;
    const quoted = replyTo;
    composerIdle(chatId);
    setError("");
    setText("");
    state.editing.value = null;
    state.replyTo.value = null;
    try {
      if (target !== null) {
        if (target.status === "failed") {
          // The server rejected it, so it goes out again with the new text.
          await editFailed(chatId, target.id, draft);
        } else if (draft !== target.text) {
          await editMessage(chatId, target.id, draft);
        }
      } else {
        state.toBottom.value += 1;
        await sendText(chatId, draft, quoted?.id);
      }
    } catch (failure) {
      setError(errorMessage(failure));
      setText((current) => (current === "" ? draft : current));
      if (target !== null) {
        keepDraft.current = true;
        state.editing.value = target;
      } else {
        state.replyTo.value = quoted;
      }
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    } else if (event.key === "Escape") {
      cancel();
    }
  };

  const onPaste = (event: ClipboardEvent) => {
    const files = filesOf(event.clipboardData);
    if (files.length === 0) return;
    event.preventDefault();
    addAttachments(state.attachments, files);
  };

  const cancel = () => {
    if (state.editing.value !== null) setText("");
    state.editing.value = null;
    state.replyTo.value = null;
  };

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {editing !== null && <EditBanner onCancel={cancel} />}
      {replyTo !== null && editing === null && (
        <ReplyBanner message={replyTo} onCancel={cancel} />
      )}
      {tooLong && (
        <p class="composer__error" role="alert">
          Message is too long ({formatKilobytes(bytes)}, max{" "}
          {formatKilobytes(MAX_TEXT_BYTES)})
        </p>
      )}
      {error !== "" && (
        <p class="composer__error" role="alert">
          {error}
        </p>
      )}
      {voice.error !== "" && (
        <p class="composer__error" role="alert">
          {voice.error}
        </p>
      )}
      {attaching && (
        <AttachmentSheet
          chatId={chatId}
          draft={editing === null ? text : ""}
          onSent={() => {
            // The draft became the first caption, but an edit stays.
            if (editing === null) setText("");
          }}
        />
      )}
      {voice.recorder !== null ? (
        <div class="composer__row">
          <RecordingBar
            recorder={voice.recorder}
            onSend={() => void voice.send()}
            onDiscard={voice.discard}
          />
        </div>
      ) : (
        <MessageRow
          input={input}
          text={text}
          editing={editing !== null}
          canSend={!empty && !tooLong}
          voice={voice}
          onInput={(value) => {
            setText(value);
            // An edit is not a new message, so it shows no typing.
            if (editing === null) composerChanged(chatId, value);
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
      )}
    </form>
  );
}

/** The row of the attach button, the message box and Send or the mic. */
function MessageRow(props: {
  input: { current: HTMLTextAreaElement | null };
  text: string;
  editing: boolean;
  canSend: boolean;
  voice: ReturnType<typeof useVoiceRecording>;
  onInput: (value: string) => void;
  onKeyDown: (event: KeyboardEvent) => void;
  onPaste: (event: ClipboardEvent) => void;
}) {
  const showMic = props.text.trim() === "" && !props.editing;
  return (
    <div class="composer__row">
      {!props.editing && <AttachMenu />}
      <textarea
        ref={props.input}
        class="composer__input"
        aria-label="Message"
        placeholder="Message"
        rows={1}
        dir="auto"
        value={props.text}
        onInput={(event) => props.onInput(event.currentTarget.value)}
        onKeyDown={props.onKeyDown}
        onPaste={props.onPaste}
      />
      {showMic ? (
        <MicButton voice={props.voice} />
      ) : (
        <button
          type="submit"
          class="composer__send"
          aria-label="Send"
          title="Send"
          disabled={!props.canSend}
        >
          <Icon name="send" />
        </button>
      )}
    </div>
  );
}

function EditBanner({ onCancel }: { onCancel: () => void }) {
  return (
    <div class="composer__banner">
      <span class="composer__banner-text">
        <strong>Editing message</strong>
      </span>
      <CancelButton label="Cancel edit" onClick={onCancel} />
    </div>
  );
}

function ReplyBanner(props: { message: MessageRow; onCancel: () => void }) {
  return (
    <div class="composer__banner composer__banner--reply">
      <span class="composer__banner-text">
        <strong>
          Replying to <PersonName id={props.message.senderId} subject />
        </strong>
        <span class="composer__quote" dir="auto">
          {quoteText(props.message)}
        </span>
      </span>
      {props.message.media?.preview !== undefined && (
        <img class="composer__thumb" src={props.message.media.preview} alt="" />
      )}
      <CancelButton label="Cancel reply" onClick={props.onCancel} />
    </div>
  );
}

function CancelButton(props: { label: string; onClick: () => void }) {
  return (
    <button
      type="button"
      class="icon-button"
      aria-label={props.label}
      title={props.label}
      onClick={props.onClick}
    >
      <Icon name="close" />
    </button>
  );
}
