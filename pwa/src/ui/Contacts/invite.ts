import { showNotice } from "../common/notice.tsx";

/**
 * Invitations for contacts without an account: the Web Share API's share
 * sheet where the browser has one (Android, iOS, Windows, macOS and
 * ChromeOS, not desktop Linux), else a copy to the clipboard.
 */

/** Returns the app's address, which the invitation links to. */
function appUrl(): string {
  return new URL("/", window.location.href).href;
}

/** Returns the invitation text; `withUrl` appends the app's address. */
export function invitationText(withUrl: boolean): string {
  const text =
    "Let's chat on Messenger! It's free, works in any browser and " +
    "keeps working offline.";
  return withUrl ? `${text} ${appUrl()}` : text;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/**
 * Invites `name` to the app: opens the share sheet, or copies the
 * invitation and shows a notice. A share the person cancels is not an
 * error.
 */
export async function invite(name: string): Promise<void> {
  const data = {
    title: "Messenger",
    text: invitationText(false),
    url: appUrl(),
  };
  const canShare =
    typeof navigator.share === "function" &&
    (navigator.canShare === undefined || navigator.canShare(data));
  if (canShare) {
    try {
      await navigator.share(data);
      return;
    } catch (error) {
      if (isAbort(error)) return;
      // NotAllowedError without a user activation, or a failed share
      // target: fall back to the clipboard.
    }
  }
  try {
    await navigator.clipboard.writeText(invitationText(true));
    showNotice(`Invitation copied. Paste it in a message to ${name}.`);
  } catch {
    showNotice(
      `Could not copy the invitation. Send ${name} this link: ${appUrl()}`,
    );
  }
}
