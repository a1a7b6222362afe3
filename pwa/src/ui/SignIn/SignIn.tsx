import { useState } from "preact/hooks";
import type { CountryCode } from "libphonenumber-js";
import { requestCode } from "../../data/index.ts";
import { Icon } from "../Chat/icons.tsx";
import { PhoneField, defaultRegion } from "../common/PhoneField.tsx";
import { errorMessage } from "../common/notice.tsx";
import { CodeStep } from "./CodeStep.tsx";
import "./SignIn.css";

/** The number a code was sent to, in E.164, and when that code expires. */
interface SentCode {
  phone: string;
  expiresAt: number;
}

/** Sign-in: the phone number step, then the verification code step. */
export function SignIn() {
  const [region, setRegion] = useState<CountryCode>(defaultRegion);
  const [phone, setPhone] = useState("");
  const [sent, setSent] = useState<SentCode | null>(null);

  return (
    <div class="sign-in">
      <div class="sign-in__panel">
        <Icon name="chat" class="sign-in__brand" />
        {sent === null ? (
          <PhoneStep
            region={region}
            phone={phone}
            onRegion={setRegion}
            onPhone={setPhone}
            onSent={setSent}
          />
        ) : (
          <CodeStep
            phone={sent.phone}
            expiresAt={sent.expiresAt}
            onChangeNumber={() => setSent(null)}
            onResent={setSent}
          />
        )}
      </div>
    </div>
  );
}

interface PhoneStepProps {
  region: CountryCode;
  phone: string;
  onRegion: (region: CountryCode) => void;
  onPhone: (phone: string) => void;
  onSent: (sent: SentCode) => void;
}

function PhoneStep(props: PhoneStepProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError("");
    try {
      props.onSent(await requestCode(props.phone.trim(), props.region));
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="sign-in__form" onSubmit={(event) => void onSubmit(event)}>
      <h1>Enter your phone number</h1>
      <p class="sign-in__lead">
        We will send a 6-digit code by SMS to check that the number is yours.
      </p>
      <PhoneField
        region={props.region}
        phone={props.phone}
        onRegion={props.onRegion}
        onPhone={props.onPhone}
        autoFocus
      />
      <p class="form-error" role="alert">
        {error}
      </p>
      <button
        type="submit"
        class="button"
        disabled={busy || props.phone.trim() === ""}
      >
        Send code
      </button>
    </form>
  );
}
