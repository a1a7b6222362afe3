import { apiRequest } from "./api.ts";
import { log } from "./log.ts";
import { logout } from "./session.ts";
import { ApiFailure } from "./types.ts";

/**
 * Deletes the account on the server, confirmed by its phone number, then
 * wipes this browser's copy. Nothing local is wiped unless the server
 * confirmed. Offline this rejects at once with a status 0 ApiFailure.
 * Only the settings load this module, so it stays out of the first
 * screen's download.
 */
export async function deleteAccount(
  phone: string,
  region?: string,
): Promise<void> {
  if (navigator.onLine === false) {
    throw new ApiFailure(
      "internal",
      "Deleting your account needs a connection. Connect to the internet and try again.",
      0,
    );
  }
  await logout(async () => {
    await apiRequest("DELETE", "/me", null, { phone, region });
  });
  log("account_deleted");
}
