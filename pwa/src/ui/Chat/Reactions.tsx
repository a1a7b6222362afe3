import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { react, session, type MessageRow } from "../../data/index.ts";
import { placeNear } from "../common/Menu.tsx";
import { run } from "../common/notice.tsx";

export const REACTION_EMOJI = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

/** My current reaction to a message, or "" when I have none. */
export function myReaction(message: MessageRow): string {
  const me = session.value?.me.id;
  return me === undefined ? "" : (message.reactions[me] ?? "");
}

/** One button per emoji with its count; pressing mine takes it back. */
export function Reactions({ message }: { message: MessageRow }) {
  if (message.deleted) return null;
  const counts = new Map<string, number>();
  for (const emoji of Object.values(message.reactions)) {
    if (emoji !== "") counts.set(emoji, (counts.get(emoji) ?? 0) + 1);
  }
  if (counts.size === 0) return null;
  const mine = myReaction(message);
  return (
    <div class="reactions">
      {Array.from(counts, ([emoji, count]) => (
        <button
          key={emoji}
          type="button"
          class={emoji === mine ? "reaction reaction--mine" : "reaction"}
          aria-label={`${emoji} ${count}`}
          aria-pressed={emoji === mine}
          onClick={() =>
            run(() =>
              react(message.chatId, message.id, emoji === mine ? "" : emoji),
            )
          }
        >
          <span aria-hidden="true">{emoji}</span>
          {count > 1 && <span aria-hidden="true">{count}</span>}
        </button>
      ))}
    </div>
  );
}

interface ReactionPickerProps {
  message: MessageRow;
  anchor: { current: HTMLElement | null };
  onClose: () => void;
}

/**
 * A row of emoji buttons near the message. Picking my current reaction
 * removes it; Escape or a click elsewhere closes the picker.
 */
export function ReactionPicker({
  message,
  anchor,
  onClose,
}: ReactionPickerProps) {
  const ref = useRef<HTMLDivElement>(null);
  const mine = myReaction(message);

  useLayoutEffect(() => {
    const picker = ref.current;
    if (picker === null || anchor.current === null) return;
    placeNear(picker, anchor.current);
    picker.querySelector("button")?.focus();
  }, []);

  useEffect(() => {
    const onPointerDown = (event: PointerEvent) => {
      if (!(ref.current?.contains(event.target as Node) ?? false)) onClose();
    };
    document.addEventListener("pointerdown", onPointerDown, true);
    return () =>
      document.removeEventListener("pointerdown", onPointerDown, true);
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onClose();
      // Focus returns to the "Message actions" button that opened the picker.
      anchor.current?.querySelector<HTMLElement>("[aria-haspopup]")?.focus();
      return;
    }
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step === undefined || ref.current === null) return;
    const buttons = Array.from(ref.current.querySelectorAll("button"));
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = (index + step + buttons.length) % buttons.length;
    buttons[next]?.focus();
    event.preventDefault();
  };

  return (
    <div
      ref={ref}
      class="reaction-picker"
      role="toolbar"
      aria-label="Pick a reaction"
      onKeyDown={onKeyDown}
    >
      {REACTION_EMOJI.map((emoji) => (
        <button
          key={emoji}
          type="button"
          class={
            emoji === mine
              ? "reaction-picker__emoji reaction--mine"
              : "reaction-picker__emoji"
          }
          aria-label={emoji}
          aria-pressed={emoji === mine}
          onClick={() => {
            onClose();
            run(() =>
              react(message.chatId, message.id, emoji === mine ? "" : emoji),
            );
          }}
        >
          {emoji}
        </button>
      ))}
    </div>
  );
}
