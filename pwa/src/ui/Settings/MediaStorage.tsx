import { useEffect, useState } from "preact/hooks";
import { clearMediaCache, mediaStorageUse } from "../../media/index.ts";
import { ConfirmDialog } from "../common/ConfirmDialog.tsx";
import { errorMessage } from "../common/notice.tsx";
import { formatBytes } from "../format-media.ts";

/**
 * The space that downloaded photos, videos, voice notes and files take on
 * this device, and a button that deletes them after a confirmation.
 */
export function MediaStorage() {
  const [use, setUse] = useState<{ bytes: number; files: number } | null>(null);
  const [error, setError] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    mediaStorageUse().then(
      (measured) => {
        if (current) setUse(measured);
      },
      (failure: unknown) => {
        if (current) setError(errorMessage(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [version]);

  const files = use?.files ?? 0;
  return (
    <>
      <p aria-live="polite">
        {use === null
          ? "Media: measuring…"
          : `Media: ${formatBytes(use.bytes)} in ${files} ${
              files === 1 ? "file" : "files"
            }`}
      </p>
      <p class="form-error" role="alert">
        {error}
      </p>
      <button
        type="button"
        class="button button--secondary"
        disabled={files === 0}
        onClick={() => setConfirming(true)}
      >
        Clear downloaded media
      </button>
      {confirming && (
        <ConfirmDialog
          title="Clear downloaded media?"
          confirm="Clear"
          onConfirm={async () => {
            await clearMediaCache();
            setVersion((count) => count + 1);
          }}
          onClose={() => setConfirming(false)}
        >
          <p>
            Photos, videos, voice messages and files are deleted from this
            device. Your chats keep them, and they download again when you open
            them.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
