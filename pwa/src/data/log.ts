/**
 * Writes one structured log line to the console. Fields carry ids and error
 * codes only, never a message body or a session secret.
 */
export function log(event: string, fields: Record<string, unknown> = {}) {
  console.info(JSON.stringify({ event, ...fields }));
}
