import { useVerification } from "../../data/index.ts";
import { navigate, verifyPath } from "../router.ts";

/** Shows "Verified" under a contact's name once their code was verified. */
export function VerifiedBadge({ userId }: { userId: string }) {
  const verification = useVerification(userId);
  if (verification === undefined || verification === null) return null;
  return <p class="chat-info__verified">✓ Verified</p>;
}

/** Renders the contact info button that opens the chat's security code. */
export function SecurityCodeEntry({ chatId }: { chatId: string }) {
  return (
    <div class="chat-info__security">
      <button
        type="button"
        class="button button--secondary"
        onClick={() => navigate(verifyPath(chatId))}
      >
        Verify security code
      </button>
      <p class="field__hint">
        Messages in this chat are end-to-end encrypted. Compare security codes
        with your contact to make sure.
      </p>
    </div>
  );
}
