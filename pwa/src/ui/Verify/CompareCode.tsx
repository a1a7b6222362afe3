import { useState } from "preact/hooks";
import {
  compareCode,
  type CodeComparison,
  type SafetyNumber,
} from "../../crypto/safety-number.ts";
import { ScanCode } from "./ScanCode.tsx";

/**
 * Compares the other phone's code with ours: scanned with the camera, or
 * typed or pasted into a field as 60 digits or as the QR code's text.
 */
export function CompareCode({
  number,
  name,
}: {
  number: SafetyNumber;
  name: string;
}) {
  const [entered, setEntered] = useState("");
  const [result, setResult] = useState<CodeComparison | null>(null);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setResult(compareCode(number, entered));
  };

  return (
    <section class="verify__compare" aria-label="Compare codes">
      <ScanCode onScan={(text) => setResult(compareCode(number, text))} />
      <form class="verify__entry" onSubmit={onSubmit}>
        <label class="field">
          <span class="field__label">{name}'s code</span>
          <textarea
            class="field__input"
            rows={3}
            inputMode="numeric"
            autocomplete="off"
            placeholder="60 digits"
            value={entered}
            onInput={(event) => setEntered(event.currentTarget.value)}
          />
        </label>
        <button
          type="submit"
          class="button button--secondary"
          disabled={entered.trim() === ""}
        >
          Compare
        </button>
      </form>
      <p class="verify__result" role="status">
        {result === null ? "" : resultText(result, name)}
      </p>
    </section>
  );
}

function resultText(result: CodeComparison, name: string): string {
  switch (result.status) {
    case "match":
      return `The codes match. You can mark ${name} as verified.`;
    case "mismatch":
      return `The codes don't match. Make sure you are comparing with ${name}'s phone in this chat. If they still differ, someone may be intercepting your messages or ${name} reinstalled the app.`;
    case "invalid":
      return result.reason;
  }
}
