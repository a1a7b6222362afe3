import { useEffect, useRef } from "preact/hooks";
import { viewListed } from "../../data/index.ts";

/**
 * Reports the chat rows on screen to the data layer, so the server sends
 * typing for them. Rows carry their chat id in `data-chat-id`; an
 * IntersectionObserver tracks them as the list scrolls or changes.
 * `key` changes whenever the set of rendered rows changes; an empty key
 * turns reporting off.
 */
export function useVisibleRows(key: string) {
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    const element = list.current;
    if (element === null || key === "") return;
    const visible = new Set<string>();
    const report = () => {
      // Rows in document order, so the top of the list comes first.
      const rows = element.querySelectorAll<HTMLElement>("[data-chat-id]");
      const ids = [...rows]
        .map((row) => row.dataset.chatId ?? "")
        .filter((id) => visible.has(id));
      viewListed(ids);
    };
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const id = (entry.target as HTMLElement).dataset.chatId ?? "";
        if (entry.isIntersecting) visible.add(id);
        else visible.delete(id);
      }
      report();
    });
    for (const row of element.querySelectorAll("[data-chat-id]")) {
      observer.observe(row);
    }
    return () => {
      observer.disconnect();
      viewListed([]);
    };
  }, [key]);
  return list;
}
