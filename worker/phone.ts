import {
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js/max";
import { ApiError } from "../protocol/index.ts";

/**
 * Normalises a typed phone number to E.164. `region` (ISO 3166 alpha-2)
 * applies to numbers written without a country code.
 */
export function toE164(phone: string, region?: string): string {
  const country = region as CountryCode | undefined;
  const parsed = parsePhoneNumberFromString(phone, country);
  if (parsed !== undefined && parsed.isValid()) return parsed.number;
  throw new ApiError(
    "invalid_request",
    invalidMessage(phone, country),
    "phone",
  );
}

function invalidMessage(
  phone: string,
  region: CountryCode | undefined,
): string {
  if (region === undefined) {
    return `${phone} is not a valid phone number; include the country code, e.g. +49…`;
  }
  let example = "+49…";
  try {
    example = `+${getCountryCallingCode(region)}…`;
  } catch {
    // An unknown region keeps the generic example.
  }
  return `${phone} is not a valid phone number for ${region}; include the country code, e.g. ${example}`;
}

/** Formats an E.164 number for people, e.g. "+49 30 1234567". */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/**
 * Masks a phone number for logs. The "+", the country calling code and the
 * last two digits stay, and every other digit becomes "*", for example
 * "+49*********78". Text that does not parse as a number keeps only its
 * last two characters.
 */
export function maskPhone(phone: string): string {
  const parsed = parsePhoneNumberFromString(phone);
  if (parsed === undefined) {
    return `${"*".repeat(Math.max(0, phone.length - 2))}${phone.slice(-2)}`;
  }
  const national = parsed.nationalNumber;
  const hidden = "*".repeat(Math.max(0, national.length - 2));
  return `+${parsed.countryCallingCode}${hidden}${national.slice(-2)}`;
}
