/** Writes one JSON line with the event name and `fields` to stdout. */
export function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(
    JSON.stringify({ time: new Date().toISOString(), event, ...fields }),
  );
}
