import { useEffect } from "preact/hooks";
import { OpenPathMessage } from "../../../protocol/index.ts";
import { closeChatNotifications } from "../data/index.ts";
import { navigate } from "./router.ts";

/**
 * Connects the open window to the service worker's notifications: it
 * follows a clicked notification to its chat, and closes the notification
 * of the chat on screen whenever the window shows it.
 */
export function useChatNotifications(chatId: string | null): void {
  useEffect(() => {
    if (!("serviceWorker" in navigator)) return;
    const onMessage = (event: MessageEvent) => {
      const parsed = OpenPathMessage.safeParse(event.data);
      if (parsed.success) navigate(parsed.data.path);
    };
    navigator.serviceWorker.addEventListener("message", onMessage);
    return () => {
      navigator.serviceWorker.removeEventListener("message", onMessage);
    };
  }, []);

  useEffect(() => {
    if (chatId === null) return;
    const closeIfVisible = () => {
      if (document.visibilityState === "visible") {
        void closeChatNotifications(chatId);
      }
    };
    closeIfVisible();
    document.addEventListener("visibilitychange", closeIfVisible);
    return () => {
      document.removeEventListener("visibilitychange", closeIfVisible);
    };
  }, [chatId]);
}
