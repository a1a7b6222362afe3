import { useState } from "preact/hooks";
import { MAX_DISPLAY_NAME_CHARS } from "../../../../protocol/index.ts";
import { updateProfile } from "../../data/index.ts";
import { errorMessage } from "../common/notice.tsx";
import "./SignIn.css";

/** First sign-in: the name other people will see. */
export function NameStep() {
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError("");
    try {
      await updateProfile({ displayName: name.trim() });
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <div class="sign-in">
      <div class="sign-in__panel">
        <form class="sign-in__form" onSubmit={(event) => void onSubmit(event)}>
          <h1>Profile info</h1>
          <p class="sign-in__lead">
            Enter your name. People you message will see it.
          </p>
          <label class="field">
            <span class="field__label">Your name</span>
            <input
              class="field__input"
              type="text"
              autocomplete="name"
              required
              autoFocus
              maxLength={MAX_DISPLAY_NAME_CHARS}
              value={name}
              onInput={(event) => setName(event.currentTarget.value)}
            />
          </label>
          <p class="form-error" role="alert">
            {error}
          </p>
          <button
            type="submit"
            class="button"
            disabled={busy || name.trim() === ""}
          >
            Continue
          </button>
        </form>
      </div>
    </div>
  );
}
