import { useEffect, useState } from "preact/hooks";
import {
  MAX_ABOUT_CHARS,
  MAX_DISPLAY_NAME_CHARS,
} from "../../../../protocol/index.ts";
import {
  estimateStorage,
  session,
  updateProfile,
  updateSettings,
  type Audience,
  type Me,
} from "../../data/index.ts";
import { BackButton } from "../NewChat/NewChat.tsx";
import { errorMessage } from "../common/notice.tsx";
import { InstallButton } from "../common/StatusBar.tsx";
import { formatPhone } from "../format.ts";
import { formatBytes } from "../format-media.ts";
import { onLinkClick } from "../router.ts";
import { BlockedContacts } from "./BlockedContacts.tsx";
import { DataExport } from "./DataExport.tsx";
import { DeleteAccountSection } from "./DeleteAccount.tsx";
import { LogoutButton } from "./LogoutButton.tsx";
import { MediaStorage } from "./MediaStorage.tsx";
import { NotificationsSection } from "./Notifications.tsx";
import {
  ProfilePhotoAvatar,
  ProfilePhotoControls,
  usePhotoEditor,
} from "./ProfilePhoto.tsx";
import "./Settings.css";

export function Settings() {
  const me = session.value?.me;
  if (me === undefined) return null;
  return (
    <div class="screen">
      <header class="screen__header">
        <BackButton />
        <h1>Settings</h1>
      </header>
      <div class="screen__body">
        <Profile me={me} />
        <Privacy me={me} />
        <NotificationsSection />
        <BlockedContacts />
        <StorageUsage />
        <DataExport />
        <section class="card" aria-labelledby="settings-devices">
          <h2 id="settings-devices">Devices</h2>
          <a
            class="settings__link"
            href="/settings/devices"
            onClick={(event) => onLinkClick(event, "/settings/devices")}
          >
            Linked devices
          </a>
        </section>
        <div class="settings__actions">
          <InstallButton variant="full" />
          <LogoutButton />
        </div>
        <DeleteAccountSection />
      </div>
    </div>
  );
}

/**
 * Shows the space this app uses on the device, from the storage estimate,
 * and the part of it that downloaded media takes.
 */
function StorageUsage() {
  const [usage, setUsage] = useState<number | null>(null);
  useEffect(() => {
    let current = true;
    void estimateStorage().then((use) => {
      if (current && use !== null) setUsage(use.usage);
    });
    return () => {
      current = false;
    };
  }, []);
  return (
    <section class="card" aria-labelledby="settings-storage">
      <h2 id="settings-storage">Storage</h2>
      {usage !== null && <p>Storage: {formatBytes(usage)} used</p>}
      <MediaStorage />
    </section>
  );
}

function Profile({ me }: { me: Me }) {
  const photo = usePhotoEditor();
  const [name, setName] = useState(me.displayName);
  const [about, setAbout] = useState(me.about);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const changed = name.trim() !== me.displayName || about.trim() !== me.about;

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setError("");
    setStatus("");
    try {
      await updateProfile({ displayName: name.trim(), about: about.trim() });
      setStatus("Saved.");
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <form
      class="card"
      aria-labelledby="settings-profile"
      onSubmit={(e) => void onSubmit(e)}
    >
      <div class="settings__profile-head">
        <ProfilePhotoAvatar me={me} editor={photo} />
        <div>
          <h2 id="settings-profile">Profile</h2>
          <span class="field__hint" dir="ltr">
            {formatPhone(me.phone)}
          </span>
        </div>
      </div>
      <ProfilePhotoControls me={me} editor={photo} />
      <label class="field">
        <span class="field__label">Your name</span>
        <input
          class="field__input"
          type="text"
          required
          maxLength={MAX_DISPLAY_NAME_CHARS}
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span class="field__label">About</span>
        <input
          class="field__input"
          type="text"
          maxLength={MAX_ABOUT_CHARS}
          value={about}
          onInput={(event) => setAbout(event.currentTarget.value)}
        />
      </label>
      <p class="form-error" role="alert">
        {error}
      </p>
      <div class="row">
        <button
          type="submit"
          class="button"
          disabled={!changed || name.trim() === ""}
        >
          Save
        </button>
        <span class="field__hint" aria-live="polite">
          {status}
        </span>
      </div>
    </form>
  );
}

type SaveState =
  | { kind: "idle" }
  | { kind: "saving"; patch: Partial<Me["settings"]> }
  | { kind: "saved" }
  | { kind: "failed"; message: string };

/**
 * Saves privacy settings one change at a time. Controls are disabled while a
 * change is on its way, so a reload never shows a value the server has not
 * stored. A failed save puts the controls back to the stored values.
 */
function useSettingsSave() {
  const [state, setState] = useState<SaveState>({ kind: "idle" });
  // Remounting the controls after a failure drops the value the person
  // picked and shows the stored one again.
  const [generation, setGeneration] = useState(0);
  const save = (patch: Partial<Me["settings"]>) => {
    setState({ kind: "saving", patch });
    updateSettings(patch).then(
      () => setState({ kind: "saved" }),
      (failure: unknown) => {
        setState({ kind: "failed", message: errorMessage(failure) });
        setGeneration((value) => value + 1);
      },
    );
  };
  const busy = state.kind === "saving";
  return { state, generation, save, busy, pending: busy ? state.patch : {} };
}

function Privacy({ me }: { me: Me }) {
  const { state, generation, save, busy, pending } = useSettingsSave();
  // While a change is saved the controls show the value picked.
  const shown = { ...me.settings, ...pending };
  return (
    <section
      class="card"
      aria-labelledby="settings-privacy"
      aria-busy={busy}
      key={generation}
    >
      <h2 id="settings-privacy">Privacy</h2>
      <label class="settings__toggle">
        <input
          type="checkbox"
          checked={shown.readReceipts}
          disabled={busy}
          aria-describedby="read-receipts-help"
          onChange={(event) => {
            save({ readReceipts: event.currentTarget.checked });
          }}
        />
        <span>Read receipts</span>
      </label>
      <p id="read-receipts-help" class="field__hint">
        When this is off, people in one-to-one chats do not see when you have
        read their messages, and you do not see when they have read yours.
        Groups always show read receipts.
      </p>
      {(Object.keys(AUDIENCE_SETTINGS) as AudienceKey[]).map((setting) => (
        <AudienceSetting
          key={setting}
          setting={setting}
          value={shown[setting]}
          disabled={busy}
          onChange={save}
        />
      ))}
      <p class="form-error" role="alert">
        {state.kind === "failed" ? state.message : ""}
      </p>
      <span class="field__hint" aria-live="polite">
        {state.kind === "saving" ? "Saving…" : ""}
        {state.kind === "saved" ? "Saved." : ""}
      </span>
    </section>
  );
}

const AUDIENCE_CHOICES: { value: Audience; label: string }[] = [
  { value: "everyone", label: "Everyone" },
  { value: "contacts", label: "My contacts" },
  { value: "nobody", label: "Nobody" },
];

/** The settings that pick an audience, with their label and help text. */
const AUDIENCE_SETTINGS = {
  lastSeen: {
    label: "Last seen and online",
    help:
      "Who sees when you are online and when you were last seen. If you " +
      "don't share yours with someone, you don't see theirs either.",
  },
  aboutVisibility: {
    label: "About",
    help: "Who sees your about text. Others see no about text at all.",
  },
  photoVisibility: {
    label: "Profile photo",
    help: "Who sees your profile photo. Others see your initials instead.",
  },
} as const;

type AudienceKey = keyof typeof AUDIENCE_SETTINGS;

function AudienceSetting({
  setting,
  value,
  disabled,
  onChange,
}: {
  setting: AudienceKey;
  value: Audience | undefined;
  disabled: boolean;
  onChange: (patch: Partial<Me["settings"]>) => void;
}) {
  const { label, help } = AUDIENCE_SETTINGS[setting];
  const helpId = `${setting}-help`;
  // A session stored before this setting existed has no value yet.
  const current = value ?? "everyone";
  return (
    <>
      <label class="field">
        <span class="field__label">{label}</span>
        <select
          class="field__input"
          value={current}
          disabled={disabled}
          aria-describedby={helpId}
          onChange={(event) => {
            onChange({ [setting]: event.currentTarget.value as Audience });
          }}
        >
          {AUDIENCE_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
      <p id={helpId} class="field__hint">
        {help}
      </p>
    </>
  );
}
