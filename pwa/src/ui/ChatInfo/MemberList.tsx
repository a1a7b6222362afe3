import { useProfile, type ChatMember } from "../../data/index.ts";
import { removeMember, setRole } from "../../data/chats.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Icon } from "../Chat/icons.tsx";
import { MenuButton, type MenuItem } from "../common/Menu.tsx";
import {
  isMe,
  PersonName,
  useAvatarName,
  usePersonName,
} from "../common/names.tsx";
import { run } from "../common/notice.tsx";
import { formatPhone } from "../format.ts";

interface MemberListProps {
  chatId: string;
  members: ChatMember[];
  /** Whether the viewer is an admin, who may change other members. */
  admin: boolean;
}

/** The `role="list"` of members: admins first, then by join time. */
export function MemberList({ chatId, members, admin }: MemberListProps) {
  const sorted = [...members].sort(
    (a, b) =>
      Number(isMe(b.userId)) - Number(isMe(a.userId)) ||
      Number(b.role === "admin") - Number(a.role === "admin") ||
      a.joinedAt - b.joinedAt,
  );
  return (
    <section class="card" aria-labelledby="members-title">
      <h3 id="members-title">{members.length} members</h3>
      <ul class="members" role="list" aria-label="Members">
        {sorted.map((member) => (
          <MemberRow
            key={member.userId}
            chatId={chatId}
            member={member}
            canManage={admin && !isMe(member.userId)}
          />
        ))}
      </ul>
    </section>
  );
}

function MemberRow(props: {
  chatId: string;
  member: ChatMember;
  canManage: boolean;
}) {
  const { chatId, member } = props;
  const name = usePersonName(member.userId);
  const avatarName = useAvatarName(member.userId);
  const profile = useProfile(member.userId);
  const items: MenuItem[] = [
    member.role === "admin"
      ? {
          label: "Dismiss as admin",
          onSelect: () => run(() => setRole(chatId, member.userId, "member")),
        }
      : {
          label: "Make admin",
          onSelect: () => run(() => setRole(chatId, member.userId, "admin")),
        },
    {
      label: "Remove from group",
      danger: true,
      onSelect: () => run(() => removeMember(chatId, member.userId)),
    },
  ];
  return (
    <li class="members__item">
      <Avatar id={member.userId} name={avatarName} size="small" />
      <span class="members__text">
        <span class="members__name">
          <PersonName id={member.userId} subject />
        </span>
        {profile !== undefined && (
          <span class="members__phone" dir="ltr">
            {formatPhone(profile.phone)}
          </span>
        )}
      </span>
      {member.role === "admin" && <span class="members__role">Admin</span>}
      {props.canManage && (
        <MenuButton
          label={`Member actions for ${name}`}
          items={items}
          class="icon-button"
        >
          <Icon name="more" />
        </MenuButton>
      )}
    </li>
  );
}
