import { useState } from "preact/hooks";
import { photoUrl, usePhotoId } from "../../data/index.ts";
import { initials } from "../format.ts";

/** Hue from a stable hash of the id, so that a person keeps their colour. */
function hueClass(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `avatar--hue${hash % 8}`;
}

/**
 * A round avatar: the person's profile photo when `id` is a user id whose
 * profile (or the session, for oneself) names one, else initials on a
 * colour. The initials stay underneath while the photo loads and when it
 * fails, and the photo fills the same box, so nothing moves.
 */
export function Avatar(props: {
  id: string;
  name: string;
  size?: "small" | "large";
}) {
  const photoId = usePhotoId(props.id);
  const url = photoId === null ? null : photoUrl(props.id, photoId);
  const size = props.size === undefined ? "" : ` avatar--${props.size}`;
  return (
    <span class={`avatar ${hueClass(props.id)}${size}`} aria-hidden="true">
      {initials(props.name)}
      {url !== null && <AvatarPhoto key={url} url={url} />}
    </span>
  );
}

/** Shows the photo over the initials once loaded, and nothing on error. */
function AvatarPhoto({ url }: { url: string }) {
  const [state, setState] = useState<"loading" | "loaded" | "failed">(
    "loading",
  );
  if (state === "failed") return null;
  return (
    <img
      class={`avatar__photo${state === "loaded" ? " avatar__photo--loaded" : ""}`}
      src={url}
      alt=""
      decoding="async"
      draggable={false}
      onLoad={() => setState("loaded")}
      onError={() => setState("failed")}
    />
  );
}
