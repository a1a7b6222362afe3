import { useEffect, useState } from "preact/hooks";
import { OTP_DIGITS } from "../../../../protocol/index.ts";
import { requestCode, verifyCode } from "../../data/index.ts";
import { errorMessage } from "../common/notice.tsx";
import { formatPhone } from "../format.ts";

/** Seconds before another code may be requested. */
const RESEND_AFTER_S = 30;

interface CodeStepProps {
  /** The number in E.164, as the server normalised it. */
  phone: string;
  expiresAt: number;
  onChangeNumber: () => void;
  onResent: (sent: { phone: string; expiresAt: number }) => void;
}

/** Seconds left until `until`, updated every second. */
function useCountdown(until: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until]);
  return Math.max(0, Math.ceil((until - now) / 1000));
}

function formatSeconds(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

export function CodeStep(props: CodeStepProps) {
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [resendAt, setResendAt] = useState(
    () => Date.now() + RESEND_AFTER_S * 1000,
  );
  const resendIn = useCountdown(resendAt);

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError("");
    try {
      await verifyCode(props.phone, undefined, code);
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  const onResend = async () => {
    setError("");
    setResendAt(Date.now() + RESEND_AFTER_S * 1000);
    try {
      props.onResent(await requestCode(props.phone));
      setCode("");
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  const complete = new RegExp(`^[0-9]{${OTP_DIGITS}}$`).test(code);
  return (
    <form class="sign-in__form" onSubmit={(event) => void onSubmit(event)}>
      <h1>Enter the code</h1>
      <p class="sign-in__lead">
        We sent an SMS with a {OTP_DIGITS}-digit code to{" "}
        <strong dir="ltr">{formatPhone(props.phone)}</strong>.{" "}
        <a
          href="/"
          onClick={(event) => {
            event.preventDefault();
            props.onChangeNumber();
          }}
        >
          Change number
        </a>
      </p>
      <label class="field">
        <span class="field__label">Verification code</span>
        <input
          class="field__input sign-in__code"
          type="text"
          inputMode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9]*"
          maxLength={OTP_DIGITS}
          required
          autoFocus
          value={code}
          onInput={(event) =>
            setCode(event.currentTarget.value.replace(/\D/g, ""))
          }
        />
      </label>
      <p class="form-error" role="alert">
        {error}
      </p>
      <button type="submit" class="button" disabled={busy || !complete}>
        Verify
      </button>
      <button
        type="button"
        class="link-button sign-in__resend"
        disabled={resendIn > 0}
        onClick={() => void onResend()}
      >
        {resendIn > 0
          ? `Resend code in ${formatSeconds(resendIn)}`
          : "Resend code"}
      </button>
    </form>
  );
}
