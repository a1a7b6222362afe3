/**
 * Sentences shown for a file that cannot be read, shared by downloads and
 * by players that stream through the service worker, so that one case
 * reads the same wherever it happens.
 */

/** A file whose ciphertext failed authentication or its hash. */
export const DAMAGED_TEXT =
  "This file is damaged or was changed on the way, so it was not saved.";

/** A file that the server deleted or no longer serves to this person. */
export const GONE_TEXT = "This file is no longer available.";

/** A read that the network or the server broke off, so a retry may work. */
export const INTERRUPTED_TEXT =
  "The download was interrupted. Check your connection and try again.";
