import { useChat, useProfile, type ChatRow } from "../../data/index.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Icon } from "../Chat/icons.tsx";
import { ChatTitle, chatAvatarName } from "../common/names.tsx";
import { usePeerStatus } from "../common/Presence.tsx";
import { formatPhone } from "../format.ts";
import { chatPath, goBack } from "../router.ts";
import { GroupInfo } from "./GroupInfo.tsx";
import { PersonActions } from "./PersonActions.tsx";
import { ReportChat } from "./ReportChat.tsx";
import { SecurityCodeEntry, VerifiedBadge } from "./SecurityCode.tsx";
import "./ChatInfo.css";

/** Group info for a group, the other person's profile for a direct chat. */
export function ChatInfo({ chatId }: { chatId: string }) {
  const chat = useChat(chatId);
  return (
    <div class="screen chat-info">
      <header class="screen__header">
        <button
          type="button"
          class="icon-button"
          aria-label="Back"
          onClick={() => goBack(chatPath(chatId))}
        >
          <Icon name="back" />
        </button>
        <span class="chat-info__header-title">
          {chat?.kind === "direct" ? "Contact info" : "Group info"}
        </span>
      </header>
      <div class="screen__body">
        {chat === undefined ? null : chat.kind === "group" ? (
          <GroupInfo chat={chat} />
        ) : (
          <PersonInfo chat={chat} />
        )}
      </div>
    </div>
  );
}

function PersonInfo({ chat }: { chat: ChatRow }) {
  const profile = useProfile(chat.peerId ?? "");
  const status = usePeerStatus(chat.id, chat.peerId);
  return (
    <section class="chat-info__hero">
      <Avatar
        id={chat.peerId ?? chat.id}
        name={chatAvatarName(chat)}
        size="large"
      />
      <h2>
        <ChatTitle chat={chat} />
      </h2>
      {chat.peerId !== null && <VerifiedBadge userId={chat.peerId} />}
      {status !== null && <p class="chat-info__status">{status}</p>}
      {profile !== undefined && (
        <>
          <p class="chat-info__phone" dir="ltr">
            {formatPhone(profile.phone)}
          </p>
          {profile.about !== "" && (
            <p class="chat-info__about" dir="auto">
              {profile.about}
            </p>
          )}
          <PersonActions profile={profile} />
        </>
      )}
      <SecurityCodeEntry chatId={chat.id} />
      <ReportChat chat={chat} name={chat.title} />
    </section>
  );
}
