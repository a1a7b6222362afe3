import {
  Icon as CommonIcon,
  PathIcon,
  type IconName as CommonIconName,
} from "../common/Icon.tsx";

/**
 * Icons that only screens loaded on demand show (the chat, its media
 * controls, calls, contacts). They live apart from common/Icon.tsx so that
 * the first screen does not load them.
 */
const MEDIA_PATHS = {
  back: "M20 11H7.83l5.59-5.59L12 4l-8 8 8 8 1.41-1.41L7.83 13H20v-2z",
  send: "M2.01 21 23 12 2.01 3 2 10l15 2-15 2z",
  more:
    "M12 8a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 2a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm0 " +
    "6a2 2 0 1 0 0 4 2 2 0 0 0 0-4z",
  close:
    "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 " +
    "13.41 17.59 19 19 17.59 13.41 12z",
  reply: "M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z",
  edit:
    "M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zM20.71 7.04a1 1 0 0 0 " +
    "0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z",
  check: "M9 16.17 4.83 12l-1.42 1.41L9 19 21 7l-1.41-1.41z",
  doubleCheck:
    "M18 7l-1.41-1.41-6.34 6.34 1.41 1.41L18 7zm4.24-1.41L11.66 16.17 " +
    "7.48 12l-1.41 1.41L11.66 19l12-12-1.42-1.41zM.41 13.41 6 19l1.41-1.41L1.83 12 .41 13.41z",
  clock:
    "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 " +
    "16zm.5-13H11v6l5.25 3.15.75-1.23-4.5-2.67V7z",
  personAdd:
    "M15 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-9-2V7H4v3H1v2h3v3h2v-3h3v-2H6zm9 " +
    "4c-2.67 0-8 1.34-8 4v2h16v-2c0-2.66-5.33-4-8-4z",
  attach:
    "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 " +
    "2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z",
  mic:
    "M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5.3-3c0 3-2.54 5.1-5.3 " +
    "5.1S6.7 14 6.7 11H5c0 3.41 2.72 6.23 6 6.72V21h2v-3.28c3.28-.48 6-3.3 6-6.72h-1.7z",
  play: "M8 5v14l11-7z",
  pause: "M6 19h4V5H6v14zm8-14v14h4V5h-4z",
  file:
    "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm-1 7V3.5L18.5 " +
    "9H13z",
  audio: "M12 3v10.55A4 4 0 1 0 14 17V7h4V3h-6z",
  delete:
    "M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z",
  previous: "M15.41 7.41 14 6l-6 6 6 6 1.41-1.41L10.83 12z",
  next: "M10 6 8.59 7.41 13.17 12l-4.58 4.59L10 18l6-6z",
  retry:
    "M17.65 6.35A7.96 7.96 0 0 0 12 4a8 8 0 1 0 7.73 10h-2.08A6 6 0 1 1 12 6c1.66 0 " +
    "3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35z",
  upload: "M9 16h6v-6h4l-7-7-7 7h4v6zm-4 2h14v2H5v-2z",
  videocam:
    "M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 " +
    "1-1v-3.5l4 4v-11l-4 4z",
};

type MediaIconName = keyof typeof MEDIA_PATHS;

/** Name of a common icon or a media icon. */
export type IconName = CommonIconName | MediaIconName;

function isMediaIcon(name: IconName): name is MediaIconName {
  return Object.hasOwn(MEDIA_PATHS, name);
}

/** `Icon` of common/Icon.tsx that also draws the media icons. */
export function Icon({
  name,
  class: className,
}: {
  name: IconName;
  class?: string;
}) {
  if (isMediaIcon(name)) {
    return <PathIcon path={MEDIA_PATHS[name]} class={className} />;
  }
  return <CommonIcon name={name} class={className} />;
}
