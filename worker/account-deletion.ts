import {
  LOOKUP_CONCURRENCY,
  mapWithLimit,
} from "../durable-objects/user-hub/discovery.ts";
import { chatRoom, phoneDirectory, userHub, type Env } from "./env.ts";
import { log } from "./log.ts";
import { countEvent } from "./metrics.ts";

/** Keys one R2 delete call takes at most (R2 bucket API limit). */
const R2_DELETE_BATCH = 1000;

/** Deletes every R2 object whose key starts with `prefix`. */
async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const listed = await bucket.list({
      prefix,
      limit: R2_DELETE_BATCH,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const keys = listed.objects.map((object) => object.key);
    if (keys.length > 0) await bucket.delete(keys);
    deleted += keys.length;
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor !== undefined);
  return deleted;
}

/**
 * Deletes an account everywhere. The chats go first: each room takes the
 * person out and deletes the files they uploaded. Then the profile photos
 * and history archives in R2, then the phone number is freed, and last
 * the hub is erased, which ends every session. A failure before the last step leaves the
 * account usable, so the person can try again, and every step is safe to
 * repeat.
 *
 * NOTE: each chat costs one subrequest. Cloudflare's Workers limits page
 * allows 50 subrequests per request on the Free plan and 10,000 on Paid,
 * so on the Free plan an account in more than about 40 chats fails here
 * and stays usable.
 */
export async function deleteAccount(
  env: Env,
  session: { userId: string; deviceId: string; phone: string },
): Promise<void> {
  const { userId, deviceId } = session;
  const hub = userHub(env, userId);
  const chatIds = await hub.chatIds();
  await mapWithLimit(chatIds, LOOKUP_CONCURRENCY, (chatId) =>
    chatRoom(env, chatId).removeDeletedAccount(userId),
  );
  const photos = await deletePrefix(env.MEDIA, `photos/${userId}/`);
  const archives = await deletePrefix(env.MEDIA, `history/${userId}/`);
  await phoneDirectory(env, session.phone).release(session.phone, userId);
  const erased = await hub.deleteAccount();
  log("account.deleted", {
    userId,
    deviceId,
    chats: chatIds.length,
    devices: erased?.deviceIds.length ?? 0,
    photos,
    archives,
  });
  countEvent(env, "account.deleted");
}
