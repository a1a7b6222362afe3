import { initials } from "../format.ts";

/** Hue from a stable hash of the id, so that a person keeps their colour. */
function hueClass(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `avatar--hue${hash % 8}`;
}

export function Avatar(props: {
  id: string;
  name: string;
  size?: "small" | "large";
}) {
  const size = props.size === undefined ? "" : ` avatar--${props.size}`;
  return (
    <span class={`avatar ${hueClass(props.id)}${size}`} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}
