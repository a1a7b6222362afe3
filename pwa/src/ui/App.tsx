import { useEffect } from "preact/hooks";
import { revoked, session, viewChat } from "../data/index.ts";
import { route, type Route } from "./router.ts";
import { ChatList } from "./ChatList/ChatList.tsx";
import { ChatScreen } from "./Chat/ChatScreen.tsx";
import { ChatInfo } from "./ChatInfo/ChatInfo.tsx";
import { NewChat } from "./NewChat/NewChat.tsx";
import { NewGroup } from "./NewChat/NewGroup.tsx";
import { Settings } from "./Settings/Settings.tsx";
import { LinkedDevices } from "./Settings/LinkedDevices.tsx";
import { SignIn } from "./SignIn/SignIn.tsx";
import { NameStep } from "./SignIn/NameStep.tsx";
import { Revoked } from "./SignIn/Revoked.tsx";
import {
  ConnectionStatus,
  StorageAlert,
  UpdateBanner,
} from "./common/StatusBar.tsx";
import { Notice } from "./common/notice.tsx";
import "./App.css";

/**
 * The app: sign-in while there is no session, the name step while the
 * account has no display name, else the chat shell for the current route.
 */
export function App() {
  return (
    <>
      <UpdateBanner />
      <StorageAlert />
      <Gate />
      <Notice />
    </>
  );
}

function Gate() {
  const current = session.value;
  if (revoked.value) return <Revoked />;
  if (current === undefined) return <div class="placeholder">Loading…</div>;
  if (current === null) return <SignIn />;
  if (current.me.displayName.trim() === "") return <NameStep />;
  return <Shell route={route.value} />;
}

/**
 * Two panes: the side pane (chat list, new chat, settings) and the main pane
 * (a chat or its info). At phone width only one shows: the main pane when
 * the route names a chat, else the side pane.
 */
function Shell({ route: current }: { route: Route }) {
  const chatId =
    current.name === "chat" || current.name === "info" ? current.chatId : null;
  // The open chat (or its info) is the device's view, for presence and
  // typing.
  useEffect(() => {
    viewChat(chatId);
  }, [chatId]);
  return (
    <div class={chatId === null ? "shell" : "shell shell--detail"}>
      <ConnectionStatus />
      <div class="shell__columns">
        <div class="shell__side">
          <SidePane route={current} />
        </div>
        <main class="shell__main">
          <MainPane route={current} />
        </main>
      </div>
    </div>
  );
}

function SidePane({ route: current }: { route: Route }) {
  switch (current.name) {
    case "new":
      return <NewChat />;
    case "newGroup":
      return <NewGroup />;
    case "settings":
      return <Settings />;
    case "devices":
      return <LinkedDevices />;
    case "list":
    case "chat":
    case "info":
      return <ChatList />;
  }
}

function MainPane({ route: current }: { route: Route }) {
  switch (current.name) {
    case "chat":
      return (
        <ChatScreen
          key={current.chatId}
          chatId={current.chatId}
          jumpTo={current.messageId}
        />
      );
    case "info":
      return <ChatInfo key={current.chatId} chatId={current.chatId} />;
    case "list":
    case "new":
    case "newGroup":
    case "settings":
    case "devices":
      return (
        <div class="placeholder">
          <p>Select a chat to start messaging.</p>
        </div>
      );
  }
}
