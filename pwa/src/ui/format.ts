import { signal } from "@preact/signals";

/**
 * Formatting of times, dates, sizes and phone numbers in the viewer's locale
 * and time zone. Every timestamp comes from the server clock.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "numeric",
  minute: "2-digit",
});
const shortDateFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "numeric",
  year: "2-digit",
});
const longDateFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});

function startOfDay(ts: number): number {
  const date = new Date(ts);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** Whole calendar days between `ts` and now (0 = today, 1 = yesterday). */
export function daysAgo(ts: number, now = Date.now()): number {
  return Math.round((startOfDay(now) - startOfDay(ts)) / DAY_MS);
}

export function formatTime(ts: number): string {
  return timeFormat.format(ts);
}

/** Time of a chat list row: the time today, "Yesterday", else the date. */
export function formatListTime(ts: number, now = Date.now()): string {
  const days = daysAgo(ts, now);
  if (days <= 0) return timeFormat.format(ts);
  if (days === 1) return "Yesterday";
  return shortDateFormat.format(ts);
}

/** Label of a day separator in a chat. */
export function formatDay(ts: number, now = Date.now()): string {
  const days = daysAgo(ts, now);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  return longDateFormat.format(ts);
}

/** "Last active" time of a device: the time today, else date and time. */
export function formatLastActive(ts: number, now = Date.now()): string {
  const days = daysAgo(ts, now);
  if (days <= 0) return `today at ${timeFormat.format(ts)}`;
  if (days === 1) return `yesterday at ${timeFormat.format(ts)}`;
  return dateTimeFormat.format(ts);
}

const dayMonthFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
});

/**
 * Formats a last seen time: "last seen today at 14:05", "last seen
 * yesterday at 09:10", else with the date, in the viewer's locale.
 */
export function formatLastSeen(ts: number, now = Date.now()): string {
  const days = daysAgo(ts, now);
  const time = timeFormat.format(ts);
  if (days <= 0) return `last seen today at ${time}`;
  if (days === 1) return `last seen yesterday at ${time}`;
  return `last seen ${dayMonthFormat.format(ts)} at ${time}`;
}

/** Kilobytes (1024 bytes), rounded up so that any excess shows. */
export function formatKilobytes(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}

type ParsePhone = typeof import("libphonenumber-js").parsePhoneNumberFromString;

/**
 * libphonenumber-js once loaded. Its chunk is about 30 KB gzipped, so it
 * loads after the first screen, and components that show a number render
 * again when it arrives.
 */
const phoneParser = signal<ParsePhone | null>(null);
let phoneParserLoading = false;

function loadPhoneParser() {
  if (phoneParserLoading) return;
  phoneParserLoading = true;
  import("libphonenumber-js").then(
    (module) => {
      phoneParser.value = module.parsePhoneNumberFromString;
    },
    (error: unknown) => {
      phoneParserLoading = false;
      console.error(
        JSON.stringify({ event: "chunk_load_failed", error: String(error) }),
      );
    },
  );
}

/**
 * Formats an E.164 number in international notation ("+49 30 1234567").
 * Returns the number unformatted until libphonenumber-js has loaded.
 */
export function formatPhone(e164: string): string {
  const parse = phoneParser.value;
  if (parse === null) {
    loadPhoneParser();
    return e164;
  }
  const parsed = parse(e164);
  return parsed === undefined ? e164 : parsed.formatInternational();
}

/** Returns one or two initials of a name, for avatars. */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/\s+/)
    .filter((word) => word !== "");
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0] ?? "");
  return letters.join("").toUpperCase() || "?";
}
