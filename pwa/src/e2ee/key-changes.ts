import { checkKeyChanges } from "../crypto/index.ts";
import type { MessengerDb } from "../data/db.ts";
import { log } from "../data/log.ts";

/**
 * Records a notice in the chat when a person's devices in its group
 * changed, after a commit or a join moved the group. A failure is logged
 * and changes nothing else, because the group change already took effect.
 */
export async function noteKeyChanges(
  chatId: string,
  database: MessengerDb,
): Promise<void> {
  try {
    await checkKeyChanges(chatId, database);
  } catch (error) {
    log("e2ee_key_check_failed", { chatId, error: String(error) });
  }
}
