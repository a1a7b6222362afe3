import { useEffect, useRef, useState } from "preact/hooks";
import {
  removeProfilePhoto,
  setProfilePhoto,
  type Me,
} from "../../data/index.ts";
import { Avatar } from "../common/Avatar.tsx";
import { errorMessage } from "../common/notice.tsx";
import { PhotoFileError, prepareProfilePhoto } from "./photo-encode.ts";

type PhotoState =
  | { kind: "idle"; status: string }
  | { kind: "preparing" }
  | { kind: "preview"; photo: Blob; url: string }
  | { kind: "saving"; photo: Blob; url: string }
  | { kind: "removing" };

const OFFLINE_MESSAGE =
  "You are offline. Connect to the internet, then save the photo again.";

/**
 * Keeps the state of the profile photo being edited. A chosen file is
 * cropped and encoded into a preview, which is uploaded once the person
 * saves it. Leaving the screen cancels an upload still running.
 */
export function usePhotoEditor() {
  const [state, setState] = useState<PhotoState>({ kind: "idle", status: "" });
  const [error, setError] = useState("");
  const upload = useRef<AbortController | null>(null);
  const previewUrl = "url" in state ? state.url : null;

  useEffect(() => () => upload.current?.abort(), []);
  useEffect(() => {
    if (previewUrl === null) return;
    return () => URL.revokeObjectURL(previewUrl);
  }, [previewUrl]);

  const choose = async (file: File) => {
    setError("");
    setState({ kind: "preparing" });
    try {
      const photo = await prepareProfilePhoto(file);
      setState({ kind: "preview", photo, url: URL.createObjectURL(photo) });
    } catch (failure) {
      if (failure instanceof PhotoFileError) {
        setError(failure.message);
      } else {
        const event = "photo_prepare_failed";
        console.error(JSON.stringify({ event, error: String(failure) }));
        setError("This photo could not be prepared. Choose another one.");
      }
      setState({ kind: "idle", status: "" });
    }
  };

  const save = async () => {
    if (state.kind !== "preview") return;
    setError("");
    if (!navigator.onLine) {
      setError(OFFLINE_MESSAGE);
      return;
    }
    setState({ ...state, kind: "saving" });
    const controller = new AbortController();
    upload.current = controller;
    try {
      await setProfilePhoto(state.photo, controller.signal);
      setState({ kind: "idle", status: "Profile photo updated." });
    } catch (failure) {
      if (controller.signal.aborted) return;
      setError(errorMessage(failure));
      setState({ ...state, kind: "preview" });
    }
  };

  const cancel = () => {
    setError("");
    setState({ kind: "idle", status: "" });
  };

  const remove = async () => {
    setError("");
    setState({ kind: "removing" });
    try {
      await removeProfilePhoto();
      setState({ kind: "idle", status: "Profile photo removed." });
    } catch (failure) {
      setError(errorMessage(failure));
      setState({ kind: "idle", status: "" });
    }
  };

  const busy = state.kind !== "idle" && state.kind !== "preview";
  return { state, error, busy, choose, save, cancel, remove };
}

export type PhotoEditor = ReturnType<typeof usePhotoEditor>;

/** Shows the Profile card's large avatar, or the preview of a new photo. */
export function ProfilePhotoAvatar(props: { me: Me; editor: PhotoEditor }) {
  const { me, editor } = props;
  if ("url" in editor.state) {
    return (
      <img
        class="avatar avatar--large settings__photo-preview"
        src={editor.state.url}
        alt="Preview of your new profile photo"
      />
    );
  }
  return <Avatar id={me.id} name={me.displayName} size="large" />;
}

const STATUS_TEXT: Record<PhotoState["kind"], string> = {
  idle: "",
  preparing: "Preparing photo…",
  preview: "",
  saving: "Saving photo…",
  removing: "Removing photo…",
};

/** Shows the choose, save, cancel and remove buttons, progress and errors. */
export function ProfilePhotoControls(props: { me: Me; editor: PhotoEditor }) {
  const { me, editor } = props;
  const { state, busy } = editor;
  const input = useRef<HTMLInputElement>(null);
  const previewing = state.kind === "preview" || state.kind === "saving";

  const onChange = (event: Event) => {
    const field = event.currentTarget as HTMLInputElement;
    const file = field.files?.[0];
    // Clearing the field lets the same file be chosen again.
    field.value = "";
    if (file !== undefined) void editor.choose(file);
  };

  return (
    <div class="settings__photo" aria-busy={busy}>
      <input
        ref={input}
        type="file"
        accept="image/*"
        hidden
        aria-label="Photo file"
        onChange={onChange}
      />
      <div class="row">
        {previewing ? (
          <>
            <button
              type="button"
              class="button"
              disabled={busy}
              onClick={() => void editor.save()}
            >
              Save photo
            </button>
            <button
              type="button"
              class="button button--secondary"
              disabled={busy}
              onClick={editor.cancel}
            >
              Cancel
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              class="button button--secondary"
              disabled={busy}
              onClick={() => input.current?.click()}
            >
              Choose photo
            </button>
            {me.photoId !== null && me.photoId !== undefined && (
              <button
                type="button"
                class="button button--secondary"
                disabled={busy}
                onClick={() => void editor.remove()}
              >
                Remove photo
              </button>
            )}
          </>
        )}
      </div>
      <p class="form-error" role="alert">
        {editor.error}
      </p>
      <span class="field__hint" aria-live="polite">
        {state.kind === "idle" ? state.status : STATUS_TEXT[state.kind]}
      </span>
    </div>
  );
}
