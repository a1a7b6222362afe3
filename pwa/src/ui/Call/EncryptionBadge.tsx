/**
 * Renders "End-to-end encrypted" and the call's verification code, which
 * is the same on every participant's screen unless someone swapped keys.
 */
export function EncryptionBadge({ code }: { code: string | null }) {
  return (
    <p class="call__e2ee">
      <span>End-to-end encrypted</span>
      {code === null ? (
        <span class="call__code">Setting up keys…</span>
      ) : (
        <span class="call__code" aria-label="Verification code">
          {code}
        </span>
      )}
    </p>
  );
}
