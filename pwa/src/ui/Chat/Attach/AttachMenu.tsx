import { useRef } from "preact/hooks";
import { Icon } from "../icons.tsx";
import { MenuButton } from "../../common/Menu.tsx";
import { useChatState } from "../chatState.ts";

const PHOTOS_AND_VIDEOS = "image/*,video/*";

/**
 * The paperclip button of the composer. Its menu opens the browser's file
 * picker for photos and videos, for any document, or for the camera, which
 * phones open directly through the `capture` attribute. Every picker
 * accepts several files, which then show in the attachment sheet.
 */
export function AttachMenu() {
  const state = useChatState();
  const media = useRef<HTMLInputElement>(null);
  const documents = useRef<HTMLInputElement>(null);
  const camera = useRef<HTMLInputElement>(null);

  const onChange = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    // Clearing the value lets the person pick the same file again.
    input.value = "";
    if (files.length > 0) addAttachments(state.attachments, files);
  };

  return (
    <>
      <MenuButton
        label="Attach"
        class="icon-button composer__attach"
        items={[
          { label: "Photo or video", onSelect: () => media.current?.click() },
          { label: "Document", onSelect: () => documents.current?.click() },
          { label: "Camera", onSelect: () => camera.current?.click() },
        ]}
      >
        <Icon name="attach" />
      </MenuButton>
      <input
        ref={media}
        type="file"
        accept={PHOTOS_AND_VIDEOS}
        multiple
        hidden
        onChange={onChange}
      />
      <input ref={documents} type="file" multiple hidden onChange={onChange} />
      <input
        ref={camera}
        type="file"
        accept={PHOTOS_AND_VIDEOS}
        capture="environment"
        hidden
        onChange={onChange}
      />
    </>
  );
}

/** Adds `files` to the attachment sheet, opening it when it is closed. */
export function addAttachments(
  attachments: { value: File[] | null },
  files: File[],
) {
  attachments.value = [...(attachments.value ?? []), ...files];
}

/**
 * Returns the files of a paste or drop with their names. Chromium names a
 * pasted screenshot "image.png".
 */
export function filesOf(data: DataTransfer | null): File[] {
  if (data === null) return [];
  return Array.from(data.files);
}
