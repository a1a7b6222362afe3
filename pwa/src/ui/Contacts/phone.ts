import {
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js";
import { session } from "../../data/index.ts";
import { defaultRegion } from "../common/PhoneField.tsx";

/**
 * Returns the region of the signed-in person's own number, in which
 * numbers written without "+" and a country code are read, as a phone
 * reads its address book. Falls back to the browser language's region.
 */
export function ownRegion(): CountryCode {
  const phone = session.value?.me.phone;
  const country =
    phone === undefined
      ? undefined
      : parsePhoneNumberFromString(phone)?.country;
  return country ?? defaultRegion();
}

/** Returns the region and international form of an E.164 number. */
export function phoneFieldValue(e164: string): {
  region: CountryCode;
  phone: string;
} {
  const parsed = parsePhoneNumberFromString(e164);
  return {
    region: parsed?.country ?? ownRegion(),
    phone: parsed?.formatInternational() ?? e164,
  };
}

/**
 * Parses what the person typed: international with "+", or national in
 * `region`. Returns the E.164 form, or the sentence saying what is wrong.
 */
export function parseTypedPhone(
  text: string,
  region: CountryCode,
): { phone: string } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { error: "Enter a phone number." };
  const parsed = parsePhoneNumberFromString(trimmed, region);
  if (parsed?.isValid() === true) return { phone: parsed.number };
  const where = trimmed.startsWith("+")
    ? ""
    : ` for ${regionName(region)} (+${getCountryCallingCode(region)})`;
  return {
    error:
      `${trimmed} is not a valid phone number${where}. Check the digits, ` +
      "or start with + and the country code.",
  };
}

function regionName(region: CountryCode): string {
  try {
    const names = new Intl.DisplayNames(navigator.languages, {
      type: "region",
    });
    return names.of(region) ?? region;
  } catch {
    return region;
  }
}
