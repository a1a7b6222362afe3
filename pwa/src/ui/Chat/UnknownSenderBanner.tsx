import { useState } from "preact/hooks";
import {
  blocked,
  contactsByUser,
  contactsReady,
  useHasMessageFrom,
  useProfile,
  type ChatRow,
} from "../../data/index.ts";
import { BlockButton, BlockDialog } from "../common/BlockDialog.tsx";
import { ContactDialog } from "../common/contactDialog.tsx";
import { usePersonName } from "../common/names.tsx";

/**
 * Offers "Add to contacts" and "Block" in a one-to-one chat with someone
 * who is not in the viewer's contacts and has written to them, as
 * WhatsApp does for messages from unknown numbers. Gone once the person
 * is saved.
 */
export function UnknownSenderBanner({ chat }: { chat: ChatRow }) {
  const peerId = chat.kind === "direct" ? (chat.peerId ?? "") : "";
  const saved = contactsByUser.value.has(peerId);
  const unsaved = peerId !== "" && !saved && contactsReady.value;
  const profile = useProfile(peerId);
  // Only an unsaved peer needs the search, which reads a chat whose peer
  // never wrote from end to end.
  const wrote = useHasMessageFrom(chat.id, unsaved ? peerId : null);
  const name = usePersonName(peerId);
  const [dialog, setDialog] = useState<"add" | "block" | null>(null);
  if (!unsaved) return null;
  if (wrote !== true || profile === undefined) return null;
  const isBlocked = blocked.value.has(peerId);
  const close = () => setDialog(null);
  return (
    <div class="unknown-banner" role="region" aria-label="Unknown number">
      <p class="unknown-banner__text">
        {isBlocked
          ? "You blocked this number."
          : "This number is not in your contacts."}
      </p>
      <button
        type="button"
        class="button button--secondary"
        onClick={() => setDialog("add")}
      >
        Add to contacts
      </button>
      <BlockButton
        userId={peerId}
        isBlocked={isBlocked}
        onBlock={() => setDialog("block")}
      />
      {dialog === "add" && (
        <ContactDialog
          prefill={{
            phone: profile.phone,
            name: profile.displayName,
            userId: profile.id,
          }}
          onClose={close}
        />
      )}
      {dialog === "block" && (
        <BlockDialog userId={peerId} name={name} onClose={close} />
      )}
    </div>
  );
}
