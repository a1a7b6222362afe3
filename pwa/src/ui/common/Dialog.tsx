import { useEffect, useId, useRef } from "preact/hooks";
import type { ComponentChildren } from "preact";
import "./Dialog.css";

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  class?: string;
}

/**
 * A modal `<dialog>`: `showModal()` makes the rest of the page inert, which
 * keeps focus inside, and Escape calls `onClose`. Focus goes back to the
 * element that had it when the dialog opened.
 */
export function Dialog({ title, onClose, children, ...rest }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const previous = document.activeElement as HTMLElement | null;
    dialog.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      onClose();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      previous?.focus();
    };
  }, []);

  const onClick = (event: MouseEvent) => {
    // A click on the backdrop lands on the dialog element itself.
    if (event.target === ref.current) onClose();
  };

  return (
    <dialog
      ref={ref}
      class={rest.class === undefined ? "dialog" : `dialog ${rest.class}`}
      aria-labelledby={titleId}
      onClick={onClick}
    >
      <div class="dialog__body">
        <h2 id={titleId} class="dialog__title">
          {title}
        </h2>
        {children}
      </div>
    </dialog>
  );
}
