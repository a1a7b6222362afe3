import { blockUser } from "../../data/index.ts";
import { ConfirmDialog } from "./ConfirmDialog.tsx";

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
