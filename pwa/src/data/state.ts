import { signal } from "@preact/signals";
import type { ConnectionState, Session } from "./types.ts";

/** The signed-in account and device; undefined while booting. */
export const session = signal<Session | null | undefined>(undefined);
export const connection = signal<ConnectionState>("offline");
/** True once this device was logged out elsewhere or its session expired. */
export const revoked = signal(false);
/** True when `revoked` came from the deletion of the account. */
export const accountDeleted = signal(false);
/** True when a new app version is installed and waits for `applyUpdate`. */
export const updateReady = signal(false);
