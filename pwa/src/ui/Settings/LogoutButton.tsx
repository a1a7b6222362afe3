import { useState } from "preact/hooks";
import { countUnsent, logout } from "../../data/index.ts";
import { Dialog } from "../common/Dialog.tsx";
import { run } from "../common/notice.tsx";
import { navigate } from "../router.ts";

/**
 * Logs out, after a warning when messages written on this device have not
 * reached the server yet: logging out deletes them with the rest of the
 * local data.
 */
export function LogoutButton() {
  const [unsent, setUnsent] = useState(0);

  const leave = async () => {
    setUnsent(0);
    await logout();
    navigate("/", { replace: true });
  };

  const onClick = () =>
    run(async () => {
      const count = await countUnsent();
      if (count === 0) await leave();
      else setUnsent(count);
    });

  const title =
    unsent === 1
      ? "Log out with 1 unsent message?"
      : `Log out with ${unsent} unsent messages?`;
  return (
    <>
      <button type="button" class="button button--danger" onClick={onClick}>
        Log out
      </button>
      {unsent > 0 && (
        <Dialog title={title} onClose={() => setUnsent(0)}>
          <p>
            They have not reached the server yet. Logging out deletes them from
            this device, and nobody will receive them.
          </p>
          <div class="dialog__actions">
            <button
              type="button"
              class="button button--secondary"
              autoFocus
              onClick={() => setUnsent(0)}
            >
              Cancel
            </button>
            <button
              type="button"
              class="button button--danger"
              onClick={() => run(leave)}
            >
              Log out anyway
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
