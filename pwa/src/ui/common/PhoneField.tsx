import { useId } from "preact/hooks";
import type { Ref } from "preact";
import {
  AsYouType,
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  type CountryCode,
} from "libphonenumber-js";
import "./PhoneField.css";

interface Country {
  code: CountryCode;
  label: string;
}

let countryCache: Country[] | null = null;

/** Every country in libphonenumber-js metadata, named in the viewer's language. */
function countries(): Country[] {
  if (countryCache !== null) return countryCache;
  const names = new Intl.DisplayNames(navigator.languages, { type: "region" });
  const list = getCountries().map((code) => ({
    code,
    name: names.of(code) ?? code,
    callingCode: getCountryCallingCode(code),
  }));
  list.sort((a, b) => a.name.localeCompare(b.name));
  countryCache = list.map(({ code, name, callingCode }) => ({
    code,
    label: `${name} (+${callingCode})`,
  }));
  return countryCache;
}

/** Returns the region of the browser's language ("DE" for "de-DE"). */
export function defaultRegion(): CountryCode {
  for (const language of navigator.languages) {
    try {
      const region = new Intl.Locale(language).maximize().region;
      if (region !== undefined && isSupportedCountry(region)) return region;
    } catch {
      // An invalid language tag: try the next one.
    }
  }
  return "US";
}

interface PhoneFieldProps {
  region: CountryCode;
  phone: string;
  onRegion: (region: CountryCode) => void;
  onPhone: (phone: string) => void;
  inputRef?: Ref<HTMLInputElement>;
  autoFocus?: boolean;
  disabled?: boolean;
}

/**
 * A "Country" select and a "Phone number" textbox. The number is formatted
 * as it is typed; a number typed with "+" and a country code switches the
 * select to that country.
 */
export function PhoneField(props: PhoneFieldProps) {
  const countryId = useId();
  const phoneId = useId();

  const onInput = (event: InputEvent) => {
    const input = event.currentTarget as HTMLInputElement;
    // Reformatting while deleting would put back the separators that the
    // person is trying to remove, so deletions keep the raw text.
    if (event.inputType.startsWith("delete")) {
      props.onPhone(input.value);
      return;
    }
    const formatter = new AsYouType(props.region);
    const formatted = formatter.input(input.value);
    const detected = formatter.getCountry();
    if (input.value.trim().startsWith("+") && detected !== undefined) {
      props.onRegion(detected);
    }
    props.onPhone(formatted);
  };

  return (
    <div class="phone-field">
      <label class="field" for={countryId}>
        <span class="field__label">Country</span>
        <select
          id={countryId}
          class="field__input"
          value={props.region}
          disabled={props.disabled}
          onChange={(event) => {
            const code = event.currentTarget.value;
            if (isSupportedCountry(code)) props.onRegion(code);
          }}
        >
          {countries().map((country) => (
            <option key={country.code} value={country.code}>
              {country.label}
            </option>
          ))}
        </select>
      </label>
      <label class="field" for={phoneId}>
        <span class="field__label">Phone number</span>
        <span class="phone-field__number">
          {!props.phone.trim().startsWith("+") && (
            <span class="phone-field__prefix" aria-hidden="true">
              +{getCountryCallingCode(props.region)}
            </span>
          )}
          <input
            ref={props.inputRef}
            id={phoneId}
            class="field__input"
            type="tel"
            autocomplete="tel"
            inputMode="tel"
            required
            maxLength={32}
            value={props.phone}
            disabled={props.disabled}
            autoFocus={props.autoFocus}
            onInput={onInput}
          />
        </span>
      </label>
    </div>
  );
}
