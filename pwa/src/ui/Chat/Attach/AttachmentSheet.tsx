import { useEffect, useRef, useState } from "preact/hooks";
import { MAX_MEDIA_BYTES } from "../../../../../protocol/index.ts";
import { sendMedia, type OutgoingFile } from "../../../media/index.ts";
import { describeFile, type FileDescription } from "../../../media/preview.ts";
import { Dialog } from "../../common/Dialog.tsx";
import { Icon, type IconName } from "../icons.tsx";
import { errorMessage } from "../../common/notice.tsx";
import { formatBytes } from "../../format-media.ts";
import { useChatState } from "../chatState.ts";
import { addAttachments } from "./AttachMenu.tsx";
import "./Attach.css";

let nextAttachmentId = 0;

/** One file of the sheet, described once its preview is made. */
interface Attachment {
  /** Key of the row, unique while the page lives. */
  id: number;
  file: File;
  description: FileDescription | null;
  caption: string;
}

/**
 * The dialog that shows chosen files before they are sent: a thumbnail or
 * an icon, the name and size of each, a caption field per file and a
 * button to remove one. Send sends each file as its own message. A file
 * over MAX_MEDIA_BYTES is named with the limit and left out.
 */
export function AttachmentSheet(props: {
  chatId: string;
  /** Text of the composer, which becomes the first file's caption. */
  draft: string;
  onSent: () => void;
}) {
  const state = useChatState();
  const files = state.attachments.value ?? [];
  const [items, setItems] = useState<Attachment[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  // Files added while the sheet is open join the list, and each is
  // described (thumbnail, size, kind) in the background.
  useEffect(() => {
    const known = new Set(items.map((item) => item.file));
    const added = files.filter((file) => !known.has(file));
    if (added.length === 0) return;
    const first = items.length === 0;
    setItems((current) => [
      ...current,
      ...added.map((file, index) => ({
        id: (nextAttachmentId += 1),
        file,
        description: null,
        caption: first && index === 0 ? props.draft : "",
      })),
    ]);
    for (const file of added) {
      void describeFile(file)
        .catch((): FileDescription => {
          // describeFile tolerates undecodable content, so only a bug gets
          // here. The file still goes out, as a document.
          return { file, name: file.name, mime: file.type, kind: "file" };
        })
        .then((description) =>
          setItems((current) =>
            current.map((item) =>
              item.file === file ? { ...item, description } : item,
            ),
          ),
        );
    }
  }, [files]);

  const close = () => {
    state.attachments.value = null;
  };
  const remove = (file: File) => {
    const rest = files.filter((other) => other !== file);
    setItems((current) => current.filter((item) => item.file !== file));
    state.attachments.value = rest.length === 0 ? null : rest;
  };
  const sendable = items.filter((item) => item.file.size <= MAX_MEDIA_BYTES);
  const ready = sendable.every((item) => item.description !== null);

  const send = async () => {
    setBusy(true);
    setError("");
    const outgoing: OutgoingFile[] = sendable.map((item) => ({
      ...(item.description as FileDescription),
      caption: item.caption.trim(),
    }));
    try {
      await sendMedia(props.chatId, outgoing, state.replyTo.value?.id);
      state.replyTo.value = null;
      state.toBottom.value += 1;
      props.onSent();
      close();
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  const count = sendable.length;
  return (
    <Dialog
      title={count === 1 ? "Send 1 file" : `Send ${count} files`}
      class="attach-sheet"
      onClose={close}
    >
      <ul class="attach-sheet__list" aria-label="Files to send">
        {items.map((item) => (
          <AttachmentRow
            key={item.id}
            item={item}
            onCaption={(caption) =>
              setItems((current) =>
                current.map((other) =>
                  other.file === item.file ? { ...other, caption } : other,
                ),
              )
            }
            onRemove={() => remove(item.file)}
            onSubmit={() => {
              if (!busy && ready && count > 0) void send();
            }}
          />
        ))}
      </ul>
      <p class="form-error" role="alert">
        {error}
      </p>
      <div class="dialog__actions">
        <AddFilesButton
          onAdd={(added) => addAttachments(state.attachments, added)}
        />
        <button type="button" class="button button--secondary" onClick={close}>
          Cancel
        </button>
        <button
          type="button"
          class="button"
          disabled={busy || !ready || count === 0}
          onClick={() => void send()}
        >
          Send
        </button>
      </div>
    </Dialog>
  );
}

/** A button that picks more files of any type into the open sheet. */
function AddFilesButton({ onAdd }: { onAdd: (files: File[]) => void }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        class="button button--secondary attach-sheet__add"
        onClick={() => input.current?.click()}
      >
        Add files
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        onChange={(event) => {
          const files = Array.from(event.currentTarget.files ?? []);
          event.currentTarget.value = "";
          if (files.length > 0) onAdd(files);
        }}
      />
    </>
  );
}

function AttachmentRow(props: {
  item: Attachment;
  onCaption: (caption: string) => void;
  /** Enter in a caption field sends, as in the message box. */
  onSubmit: () => void;
  onRemove: () => void;
}) {
  const { file, description, caption } = props.item;
  const label = file.name === "" ? "pasted file" : file.name;
  const tooLarge = file.size > MAX_MEDIA_BYTES;
  return (
    <li class="attach-sheet__item">
      <Thumbnail description={description} />
      <div class="attach-sheet__details">
        <span class="attach-sheet__name" dir="auto" title={label}>
          {label}
        </span>
        <span class="attach-sheet__size">{formatBytes(file.size)}</span>
        {tooLarge ? (
          <p class="form-error" role="alert">
            “{label}” is {formatBytes(file.size)}, more than the limit of 2 GiB
            per file, so it will not be sent. Remove it or send a smaller file.
          </p>
        ) : (
          <input
            class="attach-sheet__caption"
            type="text"
            dir="auto"
            aria-label={`Caption for ${label}`}
            placeholder="Add a caption"
            value={caption}
            onInput={(event) => props.onCaption(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key !== "Enter" || event.isComposing) return;
              event.preventDefault();
              props.onSubmit();
            }}
          />
        )}
      </div>
      <button
        type="button"
        class="icon-button"
        aria-label={`Remove ${label}`}
        title="Remove"
        onClick={props.onRemove}
      >
        <Icon name="close" />
      </button>
    </li>
  );
}

const KIND_ICONS: Record<FileDescription["kind"], IconName> = {
  image: "file",
  video: "play",
  voice: "mic",
  audio: "audio",
  file: "file",
};

function Thumbnail({ description }: { description: FileDescription | null }) {
  if (description === null) {
    return (
      <span class="attach-sheet__thumb" role="img" aria-label="Preparing" />
    );
  }
  if (description.preview !== undefined) {
    return (
      <img
        class="attach-sheet__thumb"
        src={description.preview}
        alt={description.kind === "video" ? "Video" : "Photo"}
      />
    );
  }
  return (
    <span class="attach-sheet__thumb attach-sheet__thumb--icon">
      <Icon name={KIND_ICONS[description.kind]} />
    </span>
  );
}
