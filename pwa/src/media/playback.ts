import { mediaPath, MediaReadError } from "../../../protocol/index.ts";
import { log } from "../data/log.ts";
import { DAMAGED_TEXT, GONE_TEXT, INTERRUPTED_TEXT } from "./failure-text.ts";

/** Reason, for the person, why a <video> or <audio> could not play. */
export interface PlaybackFailure {
  text: string;
  /** True when playing again may work (a network or server failure). */
  retry: boolean;
}

/** A file that this browser cannot decode although it read it. */
export const UNPLAYABLE_TEXT =
  "This file could not be played in this browser. Try saving it.";

const INTERRUPTED: PlaybackFailure = { text: INTERRUPTED_TEXT, retry: true };

/**
 * Finds why the player of `mediaId` failed. A media element reports only
 * a MediaError code, so for a file streamed by the service worker this
 * requests its first byte again and reads the MediaReadError that the
 * worker replies with. Never rejects.
 *
 * NOTE: a chunk that fails later in the stream errors the stream, but the
 * first byte then reads fine, so such a file shows the retry text rather
 * than the damaged one.
 */
export async function describePlaybackFailure(
  mediaId: string,
  src: string,
  error: MediaError | null,
): Promise<PlaybackFailure> {
  const url = new URL(src, location.href);
  const streamed =
    url.origin === location.origin && url.pathname === mediaPath(mediaId);
  if (!streamed) {
    // A blob: URL contains the whole file, so only its format can be wrong.
    log("media_playback_failed", { mediaId, mediaError: error?.code });
    return { text: UNPLAYABLE_TEXT, retry: false };
  }
  let response: Response;
  try {
    response = await fetch(url, { headers: { Range: "bytes=0-0" } });
  } catch (failure) {
    log("media_playback_failed", { mediaId, error: String(failure) });
    return INTERRUPTED;
  }
  const code = response.ok ? null : await readErrorCode(response);
  log("media_playback_failed", {
    mediaId,
    status: response.status,
    code,
    mediaError: error?.code,
  });
  if (response.ok) {
    return error?.code === MediaError.MEDIA_ERR_NETWORK
      ? INTERRUPTED
      : { text: UNPLAYABLE_TEXT, retry: false };
  }
  return failureOf(code, response.status);
}

/** Returns the `code` of a MediaReadError body, or null for another body. */
async function readErrorCode(
  response: Response,
): Promise<MediaReadError["code"] | null> {
  try {
    const parsed = MediaReadError.safeParse(await response.json());
    return parsed.success ? parsed.data.code : null;
  } catch {
    return null;
  }
}

function failureOf(
  code: MediaReadError["code"] | null,
  status: number,
): PlaybackFailure {
  switch (code) {
    case "damaged":
      return { text: DAMAGED_TEXT, retry: false };
    case "not_found":
    case "forbidden":
      return { text: GONE_TEXT, retry: false };
    case "unavailable":
      return INTERRUPTED;
    case null:
      // A reply without a MediaReadError body, judged by its status.
      return status === 404 || status === 403
        ? { text: GONE_TEXT, retry: false }
        : INTERRUPTED;
  }
}
