import { useEffect, useState } from "preact/hooks";
import {
  clearVerification,
  markVerified,
  useChat,
  useMlsEpoch,
  useVerification,
  type ChatRow,
} from "../../data/index.ts";
import {
  chatSafetyNumber,
  checkKeyChanges,
  type ChatSafetyNumber,
} from "../../crypto/verification.ts";
import { groupDigits, qrPayload } from "../../crypto/safety-number.ts";
import { Icon } from "../Chat/icons.tsx";
import { usePersonName } from "../common/names.tsx";
import { errorMessage, run } from "../common/notice.tsx";
import { chatPath, goBack } from "../router.ts";
import { CompareCode } from "./CompareCode.tsx";
import { QrCode } from "./QrCode.tsx";
import "./Verify.css";

/**
 * Shows the security code of a one-to-one chat: the 60-digit safety
 * number, its QR code, ways to compare it with the contact's phone, and the
 * verified mark.
 */
export function VerifyScreen({ chatId }: { chatId: string }) {
  const chat = useChat(chatId);
  return (
    <div class="screen verify">
      <header class="screen__header">
        <button
          type="button"
          class="icon-button"
          aria-label="Back"
          onClick={() => goBack(`${chatPath(chatId)}/info`)}
        >
          <Icon name="back" />
        </button>
        <h1 class="verify__title">Verify security code</h1>
      </header>
      <div class="screen__body">
        {chat === undefined ? null : chat.kind === "direct" &&
          chat.peerId !== null ? (
          <PeerCode chat={chat} peerId={chat.peerId} />
        ) : (
          <p>Security codes are compared in one-to-one chats.</p>
        )}
      </div>
    </div>
  );
}

type Loaded =
  | { kind: "loading" }
  | { kind: "failed"; message: string }
  | { kind: "done"; result: ChatSafetyNumber };

/**
 * Recomputes the number whenever the chat's group moves to another epoch,
 * so a key change while the screen is open shows at once.
 */
function useChatSafetyNumber(chatId: string, peerId: string): Loaded {
  const epoch = useMlsEpoch(chatId);
  const [loaded, setLoaded] = useState<Loaded>({ kind: "loading" });
  useEffect(() => {
    if (epoch === undefined) return;
    let current = true;
    const load = async () => {
      await checkKeyChanges(chatId);
      return chatSafetyNumber(chatId, peerId);
    };
    load().then(
      (result) => current && setLoaded({ kind: "done", result }),
      (error: unknown) =>
        current && setLoaded({ kind: "failed", message: errorMessage(error) }),
    );
    return () => {
      current = false;
    };
  }, [chatId, peerId, epoch]);
  return loaded;
}

function PeerCode({ chat, peerId }: { chat: ChatRow; peerId: string }) {
  const name = usePersonName(peerId);
  const loaded = useChatSafetyNumber(chat.id, peerId);
  if (loaded.kind === "loading") {
    return <p class="placeholder">Computing the security code…</p>;
  }
  if (loaded.kind === "failed") {
    return (
      <p class="form-error" role="alert">
        The security code could not be computed: {loaded.message}
      </p>
    );
  }
  if (loaded.result.status === "not_set_up") {
    return (
      <p class="verify__intro">
        End-to-end encryption with {name} is set up with the first message in
        this chat. Send or receive a message, then come back to compare security
        codes.
      </p>
    );
  }
  const { number, peerKeySetHash } = loaded.result;
  return (
    <>
      <p class="verify__intro">
        To check that your messages with {name} are end-to-end encrypted,
        compare these numbers with the ones on their phone, or scan the code on
        their phone.
      </p>
      <QrCode
        text={qrPayload(number)}
        label={`QR code of your security code with ${name}`}
      />
      <div class="verify__digits" role="group" aria-label="Security code">
        {groupDigits(number.digits).map((group, index) => (
          <span key={index}>{group}</span>
        ))}
      </div>
      <VerifiedMark
        peerId={peerId}
        name={name}
        peerKeySetHash={peerKeySetHash}
      />
      <CompareCode number={number} name={name} />
    </>
  );
}

function VerifiedMark({
  peerId,
  name,
  peerKeySetHash,
}: {
  peerId: string;
  name: string;
  peerKeySetHash: string;
}) {
  const verification = useVerification(peerId);
  if (verification === undefined) return null;
  const verified = verification?.keySetHash === peerKeySetHash;
  return (
    <div class="verify__mark">
      <p role="status">
        {verified ? `✓ You verified ${name}.` : `${name} is not verified.`}
      </p>
      {verified ? (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => run(() => clearVerification(peerId))}
        >
          Clear verification
        </button>
      ) : (
        <button
          type="button"
          class="button"
          onClick={() => run(() => markVerified(peerId, peerKeySetHash))}
        >
          Mark as verified
        </button>
      )}
    </div>
  );
}
