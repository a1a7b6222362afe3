import { blockUser, unblockUser } from "../../data/contact-edits.ts";
import { ConfirmDialog } from "./ConfirmDialog.tsx";
import { run } from "./notice.tsx";

/**
 * Unblocks `userId` at once when blocked; otherwise calls `onBlock`, which
 * opens the BlockDialog so that blocking is confirmed first.
 */
export function BlockButton(props: {
  userId: string;
  isBlocked: boolean;
  onBlock: () => void;
}) {
  if (props.isBlocked) {
    return (
      <button
        type="button"
        class="button button--secondary"
        onClick={() => run(() => unblockUser(props.userId))}
      >
        Unblock
      </button>
    );
  }
  return (
    <button type="button" class="button button--danger" onClick={props.onBlock}>
      Block
    </button>
  );
}

/** Asks before blocking `userId`, shown as `name`. */
export function BlockDialog(props: {
  userId: string;
  name: string;
  onClose: () => void;
}) {
  return (
    <ConfirmDialog
      title={`Block ${props.name}?`}
      confirm="Block"
      onConfirm={() => blockUser(props.userId)}
      onClose={props.onClose}
    >
      <p>
        Blocked people can't message you, and you and they no longer see when
        the other is online or typing.
      </p>
    </ConfirmDialog>
  );
}
