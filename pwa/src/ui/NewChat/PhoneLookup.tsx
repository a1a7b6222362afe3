import { useState } from "preact/hooks";
import type { CountryCode } from "libphonenumber-js";
import { type PublicProfile } from "../../data/index.ts";
import { lookupPhone } from "../../data/chats.ts";
import { PhoneField, defaultRegion } from "../common/PhoneField.tsx";
import { errorMessage } from "../common/notice.tsx";

interface PhoneLookupProps {
  /** Label of the submit button: "Find" or "Add". */
  action: string;
  onFound: (profile: PublicProfile) => void | Promise<void>;
  autoFocus?: boolean;
}

/**
 * Country and phone fields with a submit button (Enter works too) that
 * looks the number up and reports the account, or shows why it failed in
 * a `role="alert"`.
 */
export function PhoneLookup(props: PhoneLookupProps) {
  const [region, setRegion] = useState<CountryCode>(defaultRegion);
  const [phone, setPhone] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy || phone.trim() === "") return;
    setBusy(true);
    setError("");
    try {
      await props.onFound(await lookupPhone(phone.trim(), region));
      setPhone("");
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="phone-lookup" onSubmit={(event) => void onSubmit(event)}>
      <PhoneField
        region={region}
        phone={phone}
        onRegion={setRegion}
        onPhone={setPhone}
        autoFocus={props.autoFocus}
      />
      <p class="form-error" role="alert">
        {error}
      </p>
      <button
        type="submit"
        class="button"
        disabled={busy || phone.trim() === ""}
      >
        {props.action}
      </button>
    </form>
  );
}
