/**
 * Renders "End-to-end encrypted" and the call's verification code, which
 * every participant sees alike when no one swapped the keys.
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
