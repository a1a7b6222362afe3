import { useEffect } from "preact/hooks";
import { revoked, session, viewChat } from "../data/index.ts";
import { useChatNotifications } from "./notifications.ts";
import { route, type Route } from "./router.ts";
import { ChatList } from "./ChatList/ChatList.tsx";
import { lazyScreen } from "./common/lazy.tsx";
import {
  ConnectionStatus,
  StorageAlert,
  UpdateBanner,
} from "./common/StatusBar.tsx";
import { Notice } from "./common/notice.tsx";
import "./App.css";

// Screens other than the chat list load on demand, which keeps their code
// and libphonenumber-js out of the first download.
const ChatScreen = lazyScreen("ChatScreen", () =>
  import("./Chat/ChatScreen.tsx").then((module) => module.ChatScreen),
);
const ChatInfo = lazyScreen("ChatInfo", () =>
  import("./ChatInfo/ChatInfo.tsx").then((module) => module.ChatInfo),
);
const VerifyScreen = lazyScreen("VerifyScreen", () =>
  import("./Verify/VerifyScreen.tsx").then((module) => module.VerifyScreen),
);
const NewChat = lazyScreen("NewChat", () =>
  import("./NewChat/NewChat.tsx").then((module) => module.NewChat),
);
const NewGroup = lazyScreen("NewGroup", () =>
  import("./NewChat/NewGroup.tsx").then((module) => module.NewGroup),
);
const Contacts = lazyScreen("Contacts", () =>
  import("./Contacts/Contacts.tsx").then((module) => module.Contacts),
);
const Settings = lazyScreen("Settings", () =>
  import("./Settings/Settings.tsx").then((module) => module.Settings),
);
const LinkedDevices = lazyScreen("LinkedDevices", () =>
  import("./Settings/LinkedDevices.tsx").then((module) => module.LinkedDevices),
);
const CallsScreen = lazyScreen("CallsScreen", () =>
  import("./Calls/CallsScreen.tsx").then((module) => module.CallsScreen),
);
const SignIn = lazyScreen("SignIn", () =>
  import("./SignIn/SignIn.tsx").then((module) => module.SignIn),
);
const NameStep = lazyScreen("NameStep", () =>
  import("./SignIn/NameStep.tsx").then((module) => module.NameStep),
);
const Revoked = lazyScreen("Revoked", () =>
  import("./SignIn/Revoked.tsx").then((module) => module.Revoked),
);

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
    current.name === "chat" ||
    current.name === "info" ||
    current.name === "verify"
      ? current.chatId
      : null;
  // The open chat (or its info) is the device's view, for presence and
  // typing.
  useEffect(() => {
    viewChat(chatId);
  }, [chatId]);
  useChatNotifications(current.name === "chat" ? chatId : null);
  // The chat list shows first; the chat screen downloads behind it, so
  // opening a chat does not wait for its chunk.
  useEffect(() => ChatScreen.preload(), []);
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
    case "contacts":
      return <Contacts />;
    case "calls":
      return <CallsScreen />;
    case "list":
    case "chat":
    case "info":
    case "verify":
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
          compose={current.compose}
          callId={current.callId}
        />
      );
    case "info":
      return <ChatInfo key={current.chatId} chatId={current.chatId} />;
    case "verify":
      return <VerifyScreen key={current.chatId} chatId={current.chatId} />;
    case "list":
    case "new":
    case "newGroup":
    case "settings":
    case "devices":
    case "contacts":
    case "calls":
      return (
        <div class="placeholder">
          <p>Select a chat to start messaging.</p>
        </div>
      );
  }
}
