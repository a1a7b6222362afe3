import {
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js";
import { MAX_DISPLAY_NAME_CHARS } from "../../../protocol/index.ts";
import type { ImportEntry } from "./contact-edits.ts";
import type { Vcard } from "./vcard.ts";

/**
 * Turns address book cards (from a vCard file or the Contact Picker) into
 * contacts to import: each usable phone number becomes one contact in
 * E.164 form. This module and the vCard parser load on demand, through
 * `loadContactImport` in index.ts, together with libphonenumber-js.
 */

export { decodeVcardFile, parseVcards, type Vcard } from "./vcard.ts";

/** The contacts an import would save, shown before it starts. */
export interface ImportPlan {
  /** One per distinct usable number, in the order found. */
  entries: ImportEntry[];
  /** Cards read. */
  cards: number;
  /** Cards without any number that parses as a valid phone number. */
  withoutNumber: number;
}

/**
 * Characters a contact name must not contain (see `displayName` in
 * protocol/models.ts): controls, text-direction overrides and unpaired
 * surrogates (with the u flag, the surrogate range matches only those).
 */
const NAME_FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are the target
  /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069\ud800-\udfff]+/gu;

/** Cuts `text` to at most `max` UTF-16 units without splitting a character. */
function truncate(text: string, max: number): string {
  let result = "";
  for (const char of text) {
    if (result.length + char.length > max) break;
    result += char;
  }
  return result.trim();
}

/** Replaces forbidden characters and runs of white space with one space. */
function cleanName(name: string): string {
  return name.replace(NAME_FORBIDDEN, " ").replace(/\s+/g, " ").trim();
}

const TYPE_LABELS: Record<string, string> = {
  cell: "mobile",
  mobile: "mobile",
  iphone: "iPhone",
  work: "work",
  home: "home",
  main: "main",
  fax: "fax",
  pager: "pager",
  other: "other",
};

/** Maximum length of a type label in a name, so that the name fits. */
const MAX_LABEL_CHARS = 20;

/** Returns the label of a number's first known type, else its first type. */
function typeLabel(types: readonly string[]): string | null {
  for (const type of types) {
    const label = TYPE_LABELS[type];
    if (label !== undefined) return label;
  }
  return types[0] ?? null;
}

/**
 * Parses a number as written in an address book: international with "+",
 * or national in the `region` of the person's own number. Returns its
 * E.164 form, or null when it is not a valid number.
 */
export function toE164(text: string, region: CountryCode): string | null {
  const parsed = parsePhoneNumberFromString(text, region);
  return parsed?.isValid() === true ? parsed.number : null;
}

/**
 * Names the contacts of one card. A card with several numbers names each
 * after its type ("Ana (work)"), numbering repeats ("Ana (mobile 2)"); a
 * card without a name takes the number in international form.
 */
function namesFor(
  name: string,
  numbers: { phone: string; types: string[] }[],
): string[] {
  const base = cleanName(name);
  const seen = new Map<string, number>();
  return numbers.map(({ phone, types }, index) => {
    if (base === "") {
      return parsePhoneNumberFromString(phone)?.formatInternational() ?? phone;
    }
    if (numbers.length === 1) return truncate(base, MAX_DISPLAY_NAME_CHARS);
    const type = truncate(cleanName(typeLabel(types) ?? ""), MAX_LABEL_CHARS);
    const label = type || String(index + 1);
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    const suffix = count === 1 ? ` (${label})` : ` (${label} ${count})`;
    return truncate(base, MAX_DISPLAY_NAME_CHARS - suffix.length) + suffix;
  });
}

/**
 * Plans an import of `cards`, reading national numbers in `region`. A
 * number found twice, in one card or in two, is imported once, under the
 * first name it had.
 */
export function planImport(
  cards: readonly Vcard[],
  region: CountryCode,
): ImportPlan {
  const entries: ImportEntry[] = [];
  const taken = new Set<string>();
  let withoutNumber = 0;
  for (const card of cards) {
    const numbers = card.phones.flatMap(({ value, types }) => {
      const phone = toE164(value, region);
      return phone === null ? [] : [{ phone, types }];
    });
    const distinct = numbers.filter(
      (number, index) =>
        numbers.findIndex((other) => other.phone === number.phone) === index,
    );
    if (distinct.length === 0) {
      withoutNumber += 1;
      continue;
    }
    const names = namesFor(card.name, distinct);
    distinct.forEach(({ phone }, index) => {
      if (taken.has(phone)) return;
      taken.add(phone);
      entries.push({ phone, name: names[index]! });
    });
  }
  return { entries, cards: cards.length, withoutNumber };
}

/** One result of the Contact Picker's `select(["name", "tel"])`. */
export interface PickedContact {
  name?: string[];
  tel?: string[];
}

/** Converts Contact Picker results into cards for `planImport`. */
export function cardsFromPicker(picked: readonly PickedContact[]): Vcard[] {
  return picked.map((contact) => ({
    name: contact.name?.find((name) => name.trim() !== "") ?? "",
    phones: (contact.tel ?? []).map((value) => ({ value, types: [] })),
  }));
}
