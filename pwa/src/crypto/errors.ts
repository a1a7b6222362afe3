/**
 * Why an MLS operation failed:
 * - `not_encrypted`: the body lacks the `mls1:` prefix.
 * - `malformed`: the value is not base64url of the expected MLS message.
 * - `wrong_group`: the message belongs to another chat's group.
 * - `no_group`: this device has no group state for the chat.
 * - `removed`: this device was removed from the chat's group.
 * - `group_exists`: the chat's group state exists already.
 * - `wrong_epoch`: a commit or message is from an epoch after the group
 *   state's, so the commits before it must be processed first.
 * - `invalid_commit`: MLS rejected a commit.
 * - `invalid_welcome`: MLS rejected a Welcome or its ratchet tree.
 * - `undecryptable`: MLS rejected the message: sent before this device
 *   joined, from an epoch no longer kept, already decrypted, or forged.
 * - `key_package_not_found`: no stored KeyPackage matches the Welcome.
 * - `invalid_key_package`: a claimed KeyPackage does not belong to the
 *   device it was claimed for, or is not a KeyPackage.
 * - `not_in_group`: a device to remove is not a member.
 * - `no_identity`: this device has no MLS identity yet.
 */
export type MlsErrorCode =
  | "not_encrypted"
  | "malformed"
  | "wrong_group"
  | "no_group"
  | "removed"
  | "group_exists"
  | "wrong_epoch"
  | "invalid_commit"
  | "invalid_welcome"
  | "undecryptable"
  | "key_package_not_found"
  | "invalid_key_package"
  | "not_in_group"
  | "no_identity";

/** A failed MLS operation, with the reason as a code for callers to branch on. */
export class MlsOperationError extends Error {
  override name = "MlsOperationError";

  constructor(
    readonly code: MlsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
