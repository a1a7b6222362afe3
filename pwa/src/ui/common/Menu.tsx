import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import "./Menu.css";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

interface MenuButtonProps {
  /** Accessible name of the button that opens the menu. */
  label: string;
  items: MenuItem[];
  class?: string;
  children: ComponentChildren;
}

/**
 * A button that opens a `role="menu"` popup: arrow keys, Home and End move
 * between items, Enter or Space picks one, Escape and Tab close it and focus
 * returns to the button.
 */
export function MenuButton(props: MenuButtonProps) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };
  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        class={props.class}
        aria-label={props.label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {props.children}
      </button>
      {open && (
        <MenuPopup
          anchor={buttonRef}
          label={props.label}
          items={props.items}
          onClose={close}
        />
      )}
    </>
  );
}

interface MenuPopupProps {
  anchor: { current: HTMLElement | null };
  label: string;
  items: MenuItem[];
  onClose: (refocus: boolean) => void;
}

export function MenuPopup({ anchor, label, items, onClose }: MenuPopupProps) {
  const menuRef = useRef<HTMLDivElement>(null);

  useLayoutEffect(() => {
    const menu = menuRef.current;
    const target = anchor.current;
    if (menu === null || target === null) return;
    placeNear(menu, target);
    menu.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, []);

  useEffect(() => {
    const onPointerDown = (event: PointerEvent) => {
      const inside = menuRef.current?.contains(event.target as Node) ?? false;
      const onAnchor = anchor.current?.contains(event.target as Node) ?? false;
      if (!inside && !onAnchor) onClose(false);
    };
    const onResize = () => onClose(false);
    document.addEventListener("pointerdown", onPointerDown, true);
    window.addEventListener("resize", onResize);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown, true);
      window.removeEventListener("resize", onResize);
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    const menu = menuRef.current;
    if (menu === null) return;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose(true);
    } else if (event.key === "Tab") {
      onClose(false);
    } else {
      moveFocus(menu, event);
    }
  };

  return (
    <div
      ref={menuRef}
      role="menu"
      aria-label={label}
      class="menu"
      onKeyDown={onKeyDown}
    >
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          tabIndex={-1}
          class={
            item.danger === true
              ? "menu__item menu__item--danger"
              : "menu__item"
          }
          onClick={() => {
            onClose(true);
            item.onSelect();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}

function moveFocus(menu: HTMLElement, event: KeyboardEvent) {
  const items = Array.from(
    menu.querySelectorAll<HTMLElement>('[role="menuitem"]'),
  );
  const index = items.indexOf(document.activeElement as HTMLElement);
  let next: number;
  switch (event.key) {
    case "ArrowDown":
      next = (index + 1) % items.length;
      break;
    case "ArrowUp":
      next = (index - 1 + items.length) % items.length;
      break;
    case "Home":
      next = 0;
      break;
    case "End":
      next = items.length - 1;
      break;
    default:
      return;
  }
  event.preventDefault();
  items[next]?.focus();
}

/**
 * Places a fixed-position popup below its anchor, or above when there is
 * not enough room below, keeping it inside the viewport. Offsets are set
 * through the CSSOM because the Content-Security-Policy forbids inline
 * style attributes.
 */
export function placeNear(popup: HTMLElement, anchor: HTMLElement) {
  const rect = anchor.getBoundingClientRect();
  const width = popup.offsetWidth;
  const height = popup.offsetHeight;
  const margin = 8;
  const below = rect.bottom + 4;
  const top =
    below + height + margin > window.innerHeight
      ? Math.max(margin, rect.top - height - 4)
      : below;
  const left = Math.min(
    Math.max(margin, rect.right - width),
    window.innerWidth - width - margin,
  );
  popup.style.top = `${top}px`;
  popup.style.left = `${Math.max(margin, left)}px`;
}
