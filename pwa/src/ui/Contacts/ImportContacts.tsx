import { useRef, useState } from "preact/hooks";
import {
  DISCOVERY_NUMBERS_PER_DAY,
  MAX_CONTACTS,
} from "../../../../protocol/index.ts";
import {
  loadContactImport,
  type ImportPlan,
  type PickedContact,
} from "../../data/index.ts";
import { importContacts, type ImportResult } from "../../data/contact-edits.ts";
import { Dialog } from "../common/Dialog.tsx";
import { errorMessage } from "../common/notice.tsx";
import { ownRegion } from "./phone.ts";

/**
 * Largest vCard file read, in bytes. Exports with photos run to a few
 * hundred kilobytes per hundred contacts, so this leaves room for an
 * address book at the contact limit.
 */
const MAX_VCARD_FILE_BYTES = 50 * 1024 * 1024;

/** The Contact Picker API (Chromium on Android), absent from lib.dom. */
interface ContactsManager {
  select(
    properties: ("name" | "tel")[],
    options: { multiple: boolean },
  ): Promise<PickedContact[]>;
}

function contactPicker(): ContactsManager | null {
  const manager = (navigator as { contacts?: ContactsManager }).contacts;
  return manager !== undefined && typeof manager.select === "function"
    ? manager
    : null;
}

type ImportState =
  | { step: "reading" }
  | { step: "preview"; plan: ImportPlan }
  | { step: "importing"; done: number; total: number }
  | { step: "done"; result: ImportResult }
  | { step: "failed"; message: string };

const count = new Intl.NumberFormat();

/** Returns "1 contact" or "N contacts". */
function contactsText(n: number): string {
  return n === 1 ? "1 contact" : `${count.format(n)} contacts`;
}

/** Reads a vCard file into a plan, or throws with a sentence. */
async function planFromFile(file: File): Promise<ImportPlan> {
  if (file.size > MAX_VCARD_FILE_BYTES) {
    throw new Error(
      `${file.name} is ${Math.ceil(file.size / 1024 / 1024)} MB, over the ` +
        `limit of ${MAX_VCARD_FILE_BYTES / 1024 / 1024} MB. Export the ` +
        "contacts without photos and try again.",
    );
  }
  const [module, bytes] = await Promise.all([
    loadContactImport(),
    file.arrayBuffer(),
  ]);
  const cards = module.parseVcards(
    module.decodeVcardFile(new Uint8Array(bytes)),
  );
  if (cards.length === 0) {
    throw new Error(
      `${file.name} contains no contacts. Choose a vCard (.vcf) file ` +
        "exported from your phone or address book.",
    );
  }
  return module.planImport(cards, ownRegion());
}

/**
 * "Import from phone" (the Contact Picker, where the browser has it) and
 * "Import vCard file", with a dialog that shows what was found, imports
 * it and reports the result.
 */
export function ImportContacts() {
  const [state, setState] = useState<ImportState | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const picker = contactPicker();

  const plan = async (read: () => Promise<ImportPlan | null>) => {
    setState({ step: "reading" });
    try {
      const result = await read();
      setState(result === null ? null : { step: "preview", plan: result });
    } catch (error) {
      setState({ step: "failed", message: errorMessage(error) });
    }
  };

  const onFile = (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = "";
    if (file !== undefined) void plan(() => planFromFile(file));
  };

  const onPick = (manager: ContactsManager) =>
    plan(async () => {
      const picked = await manager.select(["name", "tel"], { multiple: true });
      if (picked.length === 0) return null;
      const module = await loadContactImport();
      return module.planImport(module.cardsFromPicker(picked), ownRegion());
    });

  const onImport = async (entries: ImportPlan["entries"]) => {
    setState({ step: "importing", done: 0, total: entries.length });
    const result = await importContacts(entries, (done, total) =>
      setState({ step: "importing", done, total }),
    );
    setState({ step: "done", result });
  };

  return (
    <>
      {picker !== null && (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => void onPick(picker)}
        >
          Import from phone
        </button>
      )}
      <button
        type="button"
        class="button button--secondary"
        onClick={() => fileInput.current?.click()}
      >
        Import vCard file
      </button>
      <input
        ref={fileInput}
        type="file"
        class="visually-hidden"
        tabIndex={-1}
        aria-label="vCard file"
        accept=".vcf,.vcard,text/vcard,text/x-vcard"
        onChange={(event) => onFile(event.currentTarget)}
      />
      {state !== null && (
        <ImportDialog
          state={state}
          onImport={(entries) => void onImport(entries)}
          onClose={() => setState(null)}
        />
      )}
    </>
  );
}

function ImportDialog(props: {
  state: ImportState;
  onImport: (entries: ImportPlan["entries"]) => void;
  onClose: () => void;
}) {
  const { state } = props;
  const busy = state.step === "reading" || state.step === "importing";
  return (
    <Dialog
      title="Import contacts"
      onClose={busy ? () => undefined : props.onClose}
    >
      <ImportStep state={state} />
      <div class="dialog__actions">
        {state.step === "preview" && state.plan.entries.length > 0 ? (
          <>
            <button
              type="button"
              class="button button--secondary"
              onClick={props.onClose}
            >
              Cancel
            </button>
            <button
              type="button"
              class="button"
              onClick={() =>
                props.onImport(state.plan.entries.slice(0, MAX_CONTACTS))
              }
            >
              Import{" "}
              {contactsText(Math.min(state.plan.entries.length, MAX_CONTACTS))}
            </button>
          </>
        ) : (
          <button
            type="button"
            class="button"
            disabled={busy}
            onClick={props.onClose}
          >
            {state.step === "done" ? "Done" : "Close"}
          </button>
        )}
      </div>
    </Dialog>
  );
}

function ImportStep({ state }: { state: ImportState }) {
  switch (state.step) {
    case "reading":
      return <p aria-live="polite">Reading contacts…</p>;
    case "preview":
      return <ImportPreview plan={state.plan} />;
    case "importing":
      return (
        <>
          <p aria-live="polite">
            Importing… {count.format(state.done)} of {count.format(state.total)}
          </p>
          <progress
            class="import__progress"
            aria-label="Import progress"
            max={state.total}
            value={state.done}
          />
        </>
      );
    case "done":
      return <ImportSummary result={state.result} />;
    case "failed":
      return (
        <p class="form-error" role="alert">
          {state.message}
        </p>
      );
  }
}

function ImportPreview({ plan }: { plan: ImportPlan }) {
  const found = plan.entries.length;
  return (
    <div class="import__summary" aria-live="polite">
      <p>
        Found <strong>{contactsText(found)}</strong>
        {found > 0 ? " to import." : "."}
      </p>
      {plan.withoutNumber > 0 && (
        <p>
          {contactsText(plan.withoutNumber)} without a usable phone number will
          be skipped.
        </p>
      )}
      {found === 0 && (
        <p>
          None has a phone number this app can read. Numbers need a country code
          (+44 …) unless they are from your own country.
        </p>
      )}
      {found > MAX_CONTACTS && (
        <p>
          You can save at most {count.format(MAX_CONTACTS)} contacts, so only
          the first {count.format(MAX_CONTACTS)} will be imported.
        </p>
      )}
      {found > 0 && (
        <p class="field__hint">
          Saved names and numbers are stored on the server, and each number is
          checked for an account: up to{" "}
          {count.format(DISCOVERY_NUMBERS_PER_DAY)} numbers a day.
        </p>
      )}
    </div>
  );
}

function ImportSummary({ result }: { result: ImportResult }) {
  const invite = result.saved - result.onApp - result.unchecked;
  return (
    <div class="import__summary" aria-live="polite">
      <p>
        Imported <strong>{contactsText(result.saved)}</strong>.
      </p>
      <ul class="import__counts" aria-label="Import result">
        <li>{count.format(result.onApp)} on Messenger</li>
        <li>{count.format(Math.max(invite, 0))} to invite</li>
        {result.unchecked > 0 && (
          <li>
            {count.format(result.unchecked)} not checked yet because of the
            daily limit of {count.format(DISCOVERY_NUMBERS_PER_DAY)} numbers.
            The app checks them over the next days.
          </li>
        )}
      </ul>
      {result.error !== null && (
        <p class="form-error" role="alert">
          {result.saved > 0 ? "The import stopped early. " : ""}
          {errorMessage(result.error)}
        </p>
      )}
    </div>
  );
}
