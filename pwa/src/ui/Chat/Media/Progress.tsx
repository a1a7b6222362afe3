import type { Transfer } from "../../../media/index.ts";
import { cancelUpload } from "../../../media/index.ts";
import { Icon } from "../icons.tsx";
import { run } from "../../common/notice.tsx";
import { formatProgress } from "../../format-media.ts";
import {
  isActive,
  startDownload,
  stopDownload,
  type MediaView,
} from "./useMedia.ts";

/** Radius of the progress ring in its 48×48 viewBox. */
const RING_RADIUS = 20;
const RING_LENGTH = 2 * Math.PI * RING_RADIUS;

/** Returns the transfer's progress in whole percent. */
function percentOf(transfer: Transfer): number {
  if (transfer.total <= 0) return 0;
  return Math.floor((transfer.loaded / transfer.total) * 100);
}

/** Cancels the upload (which removes the message) or the download. */
function cancel(view: MediaView) {
  if (view.transfer?.direction === "up" || view.uploading) {
    run(() => cancelUpload(view.chatId, view.message.id));
  } else {
    stopDownload(view.item.id);
  }
}

/**
 * A progress ring with a cancel button in its centre, for a running or
 * waiting upload or download, with the bytes and percent below it.
 */
export function ProgressRing({ view }: { view: MediaView }) {
  const transfer = view.transfer;
  if (transfer === undefined || !isActive(transfer)) return null;
  const up = transfer.direction === "up";
  const percent = percentOf(transfer);
  const waiting = transfer.state === "waiting";
  return (
    <div class="media-progress">
      <div
        class={waiting ? "ring ring--waiting" : "ring"}
        role="progressbar"
        aria-label={up ? "Upload progress" : "Download progress"}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={formatProgress(transfer.loaded, transfer.total)}
      >
        <svg viewBox="0 0 48 48" aria-hidden="true">
          <circle class="ring__track" cx="24" cy="24" r={RING_RADIUS} />
          <circle
            class="ring__value"
            cx="24"
            cy="24"
            r={RING_RADIUS}
            stroke-dasharray={RING_LENGTH}
            stroke-dashoffset={RING_LENGTH * (1 - percent / 100)}
          />
        </svg>
        <button
          type="button"
          class="ring__cancel"
          aria-label={up ? "Cancel upload" : "Cancel download"}
          title="Cancel"
          onClick={() => cancel(view)}
        >
          <Icon name="close" />
        </button>
      </div>
      <span class="media-progress__text">
        {waiting
          ? "Waiting for network"
          : formatProgress(transfer.loaded, transfer.total)}
      </span>
    </div>
  );
}

/**
 * The failure of a download with its reason and Retry. A failed upload
 * marks its message failed, so the message's own bar offers Retry and
 * Delete for it.
 */
export function TransferFailure({ view }: { view: MediaView }) {
  const transfer = view.transfer;
  if (transfer?.state !== "failed" || transfer.direction !== "down") {
    return null;
  }
  return (
    <div class="media-failure" role="alert">
      <span>{transfer.error ?? "The download failed."}</span>
      <button
        type="button"
        class="link-button"
        aria-label="Retry download"
        onClick={() => startDownload(view)}
      >
        <Icon name="retry" /> Retry
      </button>
    </div>
  );
}

/**
 * A round download button, shown while the file is not on this device and
 * no transfer runs or failed.
 */
export function DownloadButton(props: { view: MediaView; label: string }) {
  const { view } = props;
  if (
    view.url !== null ||
    view.uploading ||
    isActive(view.transfer) ||
    view.transfer?.state === "failed"
  ) {
    return null;
  }
  return (
    <button
      type="button"
      class="media-download"
      aria-label={props.label}
      onClick={() => startDownload(view)}
    >
      <Icon name="download" />
    </button>
  );
}
