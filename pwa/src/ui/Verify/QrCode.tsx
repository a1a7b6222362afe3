import { generate } from "lean-qr";
import { toSvgPath } from "lean-qr/extras/svg";
import { useMemo } from "preact/hooks";

/** Blank modules around the code. ISO/IEC 18004 requires at least 4. */
const QUIET_ZONE = 4;

/** Draws a QR code as inline SVG, named for screen readers by `label`. */
export function QrCode({ text, label }: { text: string; label: string }) {
  const code = useMemo(() => generate(text), [text]);
  const path = useMemo(() => toSvgPath(code), [code]);
  const side = code.size + QUIET_ZONE * 2;
  return (
    <svg
      class="verify__qr"
      role="img"
      aria-label={label}
      viewBox={`${-QUIET_ZONE} ${-QUIET_ZONE} ${side} ${side}`}
      shape-rendering="crispEdges"
    >
      <rect
        x={-QUIET_ZONE}
        y={-QUIET_ZONE}
        width={side}
        height={side}
        fill="#fff"
      />
      <path d={path} fill="#000" />
    </svg>
  );
}
