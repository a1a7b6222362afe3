import { useEffect, useRef } from "preact/hooks";
import type { GroupTile } from "../../calls/group/state.ts";
import { log } from "../../data/log.ts";
import { Avatar } from "../common/Avatar.tsx";
import { PathIcon } from "../common/Icon.tsx";
import { useAvatarName, usePersonName } from "../common/names.tsx";

/** Material Icons "mic_off" and "videocam_off", 24×24. */
const MIC_OFF =
  "M19 11h-1.7c0 .74-.16 1.43-.43 2.05l1.23 1.23c.56-.98.9-2.09.9-3.28zm-4.02.17c0-.06.02-.11.02-.17V5c0-1.66-1.34-3-3-3S9 3.34 9 5v.18l5.98 5.99zM4.27 3 3 4.27l6.01 6.01V11c0 1.66 1.33 3 2.99 3 .22 0 .44-.03.65-.08l1.66 1.66c-.71.33-1.5.52-2.31.52-2.76 0-5.3-2.1-5.3-5.1H5c0 3.41 2.72 6.23 6 6.72V21h2v-3.28c.91-.13 1.77-.45 2.54-.9L19.73 21 21 19.73 4.27 3z";
const CAMERA_OFF =
  "M21 6.5l-4 4V7c0-.55-.45-1-1-1H9.82L21 17.18V6.5zM3.27 2 2 3.27 4.73 6H4c-.55 0-1 .45-1 1v10c0 .55.45 1 1 1h12c.21 0 .39-.08.54-.18L19.73 21 21 19.73 3.27 2z";

/** Keeps `element.srcObject` on `stream` and plays it. */
function useStream<T extends HTMLMediaElement>(stream: MediaStream | null) {
  const ref = useRef<T>(null);
  useEffect(() => {
    const element = ref.current;
    if (element === null || element.srcObject === stream) return;
    element.srcObject = stream;
    if (stream !== null) {
      element.play().catch((error: unknown) => {
        // Autoplay may wait for a gesture; the element plays once allowed.
        log("group_call_play_failed", { error: String(error) });
      });
    }
  }, [stream]);
  return ref;
}

/**
 * Renders one participant: their video (a screen share in its place), or
 * their avatar while the camera is off, with name, muted and camera-off
 * icons, "Reconnecting…" when their device went silent and "Waiting for
 * keys…" while their frames cannot be decrypted yet.
 */
export function GroupTileView(props: {
  tile: GroupTile;
  speaking: boolean;
  /** The participant's frames have had no key for a while. */
  waitingForKeys: boolean;
}) {
  const { tile, speaking, waitingForKeys } = props;
  const participant = tile.participant;
  const name = usePersonName(participant.userId);
  const avatarName = useAvatarName(participant.userId);
  const visual = tile.screenStream ?? tile.stream;
  const showsVideo =
    tile.screenStream !== null ||
    (participant.video && (tile.stream?.getVideoTracks().length ?? 0) > 0);
  const video = useStream<HTMLVideoElement>(showsVideo ? visual : null);
  const audio = useStream<HTMLAudioElement>(tile.self ? null : tile.stream);
  const classes = ["group-tile"];
  if (speaking) classes.push("group-tile--speaking");
  return (
    <li
      class={classes.join(" ")}
      aria-label={name}
      data-device-id={participant.deviceId}
      data-speaking={speaking ? "true" : undefined}
    >
      {!tile.self && <audio ref={audio} autoplay />}
      <video
        ref={video}
        class="group-tile__video"
        hidden={!showsVideo}
        autoplay
        playsInline
        muted
        aria-label={tile.self ? "Your camera" : `Video of ${name}`}
      />
      {!showsVideo && <Avatar id={participant.userId} name={avatarName} />}
      <span class="group-tile__label">
        <span class="group-tile__name">{name}</span>
        {!participant.audio && (
          <span role="img" aria-label="Microphone off">
            <PathIcon path={MIC_OFF} class="group-tile__flag" />
          </span>
        )}
        {!participant.video && (
          <span role="img" aria-label="Camera off">
            <PathIcon path={CAMERA_OFF} class="group-tile__flag" />
          </span>
        )}
      </span>
      {participant.reconnecting ? (
        <span class="group-tile__status" role="status">
          Reconnecting…
        </span>
      ) : (
        waitingForKeys && (
          <span class="group-tile__status" role="status">
            Waiting for keys…
          </span>
        )
      )}
    </li>
  );
}
