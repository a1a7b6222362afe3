/**
 * Writes one structured log line: the event name and the ids involved.
 * Callers pass ids, counts and error messages only, never a session secret,
 * a one-time code or a message body, and phone numbers only masked by
 * maskPhone (worker/phone.ts). The one exception is the development SMS
 * outbox, which logs the text of each SMS so a developer can sign in.
 */
export function log(
  event: string,
  fields: Record<string, string | number | boolean | null | undefined> = {},
): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** Returns the message of a caught value, for logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Compile-time check that a switch handled every member of a union. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
