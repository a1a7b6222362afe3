import { useState } from "preact/hooks";
import { session } from "../../data/index.ts";
import { errorMessage } from "../common/notice.tsx";

/**
 * "Export my data": saves a JSON file of the account, the contacts and
 * the chats with the messages this device holds.
 */
export function DataExport() {
  const [state, setState] = useState<"idle" | "preparing" | "done">("idle");
  const [error, setError] = useState("");

  const onExport = async () => {
    const current = session.value;
    if (current === null || current === undefined) return;
    setError("");
    setState("preparing");
    try {
      const { buildDataExport, exportFileName } =
        await import("../../data/export.ts");
      const data = await buildDataExport(current.me, current.deviceId);
      const blob = new Blob([JSON.stringify(data, null, 2)], {
        type: "application/json",
      });
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = exportFileName();
      link.click();
      // The download has its own copy once the click is handled.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setState("done");
    } catch (failure) {
      setError(`Export failed: ${errorMessage(failure)}. Try again.`);
      setState("idle");
    }
  };

  return (
    <section class="card" aria-labelledby="settings-data">
      <h2 id="settings-data">Your data</h2>
      <p>
        A file with your profile, settings, contacts and the chats and messages
        on this device. Photos, videos and files are listed by name only.
      </p>
      <p aria-live="polite">
        {state === "preparing"
          ? "Preparing your data…"
          : state === "done"
            ? "Your data was saved to your downloads."
            : ""}
      </p>
      <p class="form-error" role="alert">
        {error}
      </p>
      <button
        type="button"
        class="button button--secondary"
        disabled={state === "preparing"}
        onClick={() => void onExport()}
      >
        Export my data
      </button>
    </section>
  );
}
