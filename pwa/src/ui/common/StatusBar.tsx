import {
  applyUpdate,
  connection,
  STORAGE_FULL_MESSAGE,
  storageFull,
  updateReady,
} from "../../data/index.ts";
import { installApp, installPrompt } from "../install.ts";
import { Icon } from "./Icon.tsx";
import { run } from "./notice.tsx";

/** The connection line; empty (and hidden) while online. */
export function ConnectionStatus() {
  let text = "";
  if (connection.value === "connecting") text = "Connecting…";
  else if (connection.value === "offline") text = "Waiting for network";
  return (
    <div class="status-line" role="status">
      {text}
    </div>
  );
}

export function UpdateBanner() {
  if (!updateReady.value) return null;
  return (
    <div class="update-banner" role="status">
      <span>Update available</span>
      <button type="button" class="button" onClick={() => run(applyUpdate)}>
        Reload
      </button>
    </div>
  );
}

/** Shows an alert after a write failed because storage is full. */
export function StorageAlert() {
  if (!storageFull.value) return null;
  return (
    <div class="update-banner" role="alert">
      <span>{STORAGE_FULL_MESSAGE}</span>
      <button
        type="button"
        class="button"
        onClick={() => (storageFull.value = false)}
      >
        Dismiss
      </button>
    </div>
  );
}

/** "Install app", shown only while the browser offers installation. */
export function InstallButton(props: { variant: "icon" | "full" }) {
  if (installPrompt.value === null) return null;
  const onClick = () => run(installApp);
  if (props.variant === "icon") {
    return (
      <button
        type="button"
        class="icon-button"
        aria-label="Install app"
        title="Install app"
        onClick={onClick}
      >
        <Icon name="download" />
      </button>
    );
  }
  return (
    <button type="button" class="button button--secondary" onClick={onClick}>
      <Icon name="download" />
      Install app
    </button>
  );
}
