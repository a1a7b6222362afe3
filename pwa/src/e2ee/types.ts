import type { z } from "zod";
import type { StoredMessage } from "../../../protocol/index.ts";
import type { MessengerDb } from "../data/db.ts";

type Method = "GET" | "POST" | "PUT" | "DELETE";

/**
 * A JSON request to the HTTP API under /api, as `apiRequest` makes it: it
 * parses the reply with `schema` (null for an empty reply) and raises an
 * ApiFailure with the server's error code.
 */
export type HttpClient = <T>(
  method: Method,
  path: string,
  schema: z.ZodType<T> | null,
  body?: unknown,
) => Promise<T>;

/** The data layer's services that the encryption engine uses. */
export interface EngineOptions {
  db: MessengerDb;
  userId: string;
  deviceId: string;
  http: HttpClient;
  /**
   * Asks the server for the chat's messages after the local cursor, which
   * contain the commits this device missed. The reply arrives through the
   * usual message path.
   */
  requestNewest: (chatId: string) => void;
  /**
   * Stores messages again, after their bodies were decrypted late (after
   * a commit or a Welcome that came after them).
   */
  restore: (chatId: string, messages: StoredMessage[]) => Promise<void>;
  /** A chat that waited for its group is ready, so its sends may go. */
  chatReady: (chatId: string) => void;
}
