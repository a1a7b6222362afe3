// Formatting of byte sizes, transfer progress and durations, which only the
// chat and settings screens show. It lives apart from format.ts so that the
// first screen, which imports format.ts, does not load it.

/** Returns `bytes` in B, KB, MB or GB (decimal units), for example "1.2 MB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Returns "3 MB of 20 MB (15%)": the progress of a transfer. */
export function formatProgress(loaded: number, total: number): string {
  const percent = total > 0 ? Math.floor((loaded / total) * 100) : 0;
  return `${formatBytes(loaded)} of ${formatBytes(total)} (${percent}%)`;
}

/** Returns a duration in seconds as "m:ss", or "h:mm:ss" from an hour. */
export function formatDuration(seconds: number): string {
  const whole = Number.isFinite(seconds) ? Math.max(0, Math.round(seconds)) : 0;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  if (hours === 0) return `${minutes}:${rest}`;
  return `${hours}:${String(minutes).padStart(2, "0")}:${rest}`;
}
