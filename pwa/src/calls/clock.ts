import { serverNow } from "../data/presence.ts";
import { formatTimer } from "./active.ts";

/** Returns the time since `acceptedAt` (server time) as "02:31". */
export function elapsedText(acceptedAt: number): string {
  return formatTimer(serverNow() - acceptedAt);
}
