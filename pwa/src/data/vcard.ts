/**
 * A vCard reader for contact imports: versions 2.1, 3.0 and 4.0 (RFC 2426,
 * RFC 6350 and the versit 2.1 specification), as phones and address books
 * export them. It keeps only what an import needs, the name and the phone
 * numbers. Input that is not a vCard yields no cards rather than an error
 * (the garbage cases in test/unit/data/vcard.test.ts).
 */

/** One phone number of a card, as written, with its lower-case types. */
export interface VcardPhone {
  value: string;
  /** TYPE parameters such as "cell" or "work", or an Apple X-ABLabel. */
  types: string[];
}

export interface Vcard {
  /** FN, else the parts of N, else ORG; "" when the card has none. */
  name: string;
  phones: VcardPhone[];
}

/** A content line split into its parts; names and parameters lower-case. */
interface ContentLine {
  group: string | null;
  name: string;
  params: Map<string, string[]>;
  value: string;
}

/**
 * Splits the text into logical lines. A line break followed by a space or
 * a tab continues the line (folding, RFC 6350 section 3.2), and in 2.1 a
 * quoted-printable value ending in "=" continues on the next line. Each
 * logical line collects its pieces in an array and joins them once, so a
 * PHOTO folded over thousands of lines costs time linear in its length.
 */
function logicalLines(text: string): string[] {
  const physical = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const lines: string[][] = [];
  let continuesQuotedPrintable = false;
  for (const line of physical) {
    const current = lines[lines.length - 1];
    if (current !== undefined && continuesQuotedPrintable) {
      // Drop the "=" of the soft line break.
      const last = current.length - 1;
      current[last] = current[last]!.slice(0, -1);
      current.push(line);
    } else if (
      current !== undefined &&
      (line.startsWith(" ") || line.startsWith("\t"))
    ) {
      current.push(line.slice(1));
    } else {
      lines.push([line]);
    }
    const pieces = lines[lines.length - 1]!;
    continuesQuotedPrintable =
      pieces[pieces.length - 1]!.endsWith("=") && isQuotedPrintable(pieces);
  }
  return lines.map((pieces) => pieces.join(""));
}

/** Returns whether the line made of `pieces` declares quoted-printable. */
function isQuotedPrintable(pieces: readonly string[]): boolean {
  const first = pieces[0] ?? "";
  let head = headOf(first);
  // Without a colon in its first piece, the head was folded.
  if (head.length === first.length) head = headOf(pieces.join(""));
  return /quoted-printable/i.test(head);
}

/** Returns the part of a content line before the colon that ends its parameters. */
function headOf(line: string): string {
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (char === '"') quoted = !quoted;
    else if (char === ":" && !quoted) return line.slice(0, index);
  }
  return line;
}

/** Splits `text` at `separator`, outside double quotes. */
function splitUnquoted(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * Parses "group.NAME;param=a,b;BARE:value". A 2.1 parameter without "="
 * (TEL;CELL, FN;QUOTED-PRINTABLE) is a TYPE, or an ENCODING when it names
 * one. Returns null for a line without a colon.
 */
function parseLine(line: string): ContentLine | null {
  const head = headOf(line);
  if (head.length === line.length) return null;
  const value = line.slice(head.length + 1);
  const [nameWithGroup = "", ...rawParams] = splitUnquoted(head, ";");
  const dot = nameWithGroup.lastIndexOf(".");
  const group = dot === -1 ? null : nameWithGroup.slice(0, dot).toLowerCase();
  const name = nameWithGroup
    .slice(dot + 1)
    .trim()
    .toLowerCase();
  const params = new Map<string, string[]>();
  for (const raw of rawParams) {
    const equals = raw.indexOf("=");
    let key = equals === -1 ? "type" : raw.slice(0, equals).trim();
    const text = equals === -1 ? raw : raw.slice(equals + 1);
    // TYPE="voice,cell" (4.0) lists several values inside one quote.
    const values = text
      .replace(/"/g, "")
      .split(",")
      .map((part) => part.trim().toLowerCase());
    if (equals === -1 && /^(quoted-printable|base64|b|8bit)$/i.test(raw)) {
      key = "encoding";
    }
    const list = params.get(key.toLowerCase()) ?? [];
    list.push(...values.filter((part) => part !== ""));
    params.set(key.toLowerCase(), list);
  }
  return { group, name, params, value };
}

/** Returns a TextDecoder for a CHARSET label, or UTF-8 when unknown. */
function decoderFor(charset: string | undefined): TextDecoder {
  try {
    return new TextDecoder(charset ?? "utf-8");
  } catch {
    return new TextDecoder("utf-8");
  }
}

const encoder = new TextEncoder();

/** Decodes quoted-printable ("=C3=A9") bytes in the card's charset. */
function decodeQuotedPrintable(value: string, charset?: string): string {
  const bytes: number[] = [];
  const chars = Array.from(value);
  for (let index = 0; index < chars.length; index += 1) {
    const hex = (chars[index + 1] ?? "") + (chars[index + 2] ?? "");
    if (chars[index] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      // Quoted-printable text outside the escapes should be ASCII. Other
      // characters are kept as their UTF-8 bytes rather than dropped.
      bytes.push(...encoder.encode(chars[index]));
    }
  }
  return decoderFor(charset).decode(new Uint8Array(bytes));
}

/**
 * Splits a value at unescaped `separator` (";" for N) and resolves the
 * escapes "\\", "\,", "\;", "\:" and "\n" (or "\N", a line break).
 */
function unescapeParts(value: string, separator: string | null): string[] {
  const parts: string[] = [];
  let current = "";
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index]!;
    if (char === "\\" && index + 1 < value.length) {
      const next = value[index + 1]!;
      current += next === "n" || next === "N" ? "\n" : next;
      index += 1;
    } else if (char === separator) {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/** Returns the value of a text property with its encoding undone. */
function decodedValue(line: ContentLine): string {
  const encoding = line.params.get("encoding") ?? [];
  if (encoding.includes("quoted-printable")) {
    return decodeQuotedPrintable(line.value, line.params.get("charset")?.[0]);
  }
  return line.value;
}

/** Builds a name from N: prefix, given, additional, family, suffix. */
function nameFromParts(value: string): string {
  const [family = "", given = "", additional = "", prefix = "", suffix = ""] =
    unescapeParts(value, ";");
  return [prefix, given, additional, family, suffix]
    .map((part) => part.replace(/,/g, " ").trim())
    .filter((part) => part !== "")
    .join(" ");
}

/** Strips a "tel:" URI scheme (vCard 4.0 VALUE=uri) from a number. */
function phoneValue(line: ContentLine): string {
  const text = unescapeParts(decodedValue(line), null).join("").trim();
  return text.replace(/^tel:/i, "").trim();
}

/**
 * Returns the UTF-16 byte order of a file, from its byte order mark or,
 * without one, from the zero high bytes of its ASCII start ("BEGIN"), or
 * null when the file is not UTF-16.
 */
function utf16Order(bytes: Uint8Array): "utf-16le" | "utf-16be" | null {
  const [first, second] = bytes;
  if (first === 0xff && second === 0xfe) return "utf-16le";
  if (first === 0xfe && second === 0xff) return "utf-16be";
  if (first !== undefined && first !== 0 && second === 0) return "utf-16le";
  if (first === 0 && second !== undefined && second !== 0) return "utf-16be";
  return null;
}

/**
 * Decodes a vCard file: UTF-8 (what 3.0 and 4.0 require), UTF-16 with or
 * without a byte order mark, or Windows-1252 when the bytes are neither,
 * as older 2.1 exports in 8-bit Western charsets are.
 */
export function decodeVcardFile(bytes: Uint8Array): string {
  const order = utf16Order(bytes);
  if (order !== null) return new TextDecoder(order).decode(bytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

/** Collects one card's properties into a Vcard. */
class CardBuilder {
  #fn = "";
  #n = "";
  #org = "";
  #phones: { value: string; types: string[]; group: string | null }[] = [];
  #labels = new Map<string, string>();

  add(line: ContentLine): void {
    switch (line.name) {
      case "fn":
        this.#fn = unescapeParts(decodedValue(line), null).join("").trim();
        return;
      case "n":
        this.#n = nameFromParts(decodedValue(line));
        return;
      case "org":
        this.#org = unescapeParts(decodedValue(line), ";")[0]?.trim() ?? "";
        return;
      case "tel": {
        const types = (line.params.get("type") ?? []).filter(
          (type) => type !== "voice" && type !== "pref",
        );
        const value = phoneValue(line);
        if (value !== "") {
          this.#phones.push({ value, types, group: line.group });
        }
        return;
      }
      case "x-ablabel":
        if (line.group !== null) {
          const label = decodedValue(line).replace(/^_\$!<|>!\$_$/g, "");
          this.#labels.set(line.group, label.trim().toLowerCase());
        }
        return;
      default:
        return;
    }
  }

  build(): Vcard {
    const phones = this.#phones.map(({ value, types, group }) => {
      const label = group === null ? undefined : this.#labels.get(group);
      return { value, types: label === undefined ? types : [label] };
    });
    const name = this.#fn || this.#n || this.#org;
    return { name, phones };
  }
}

/**
 * Parses every card in `text`. Lines outside BEGIN:VCARD … END:VCARD are
 * skipped, a card nested in another (a 2.1 AGENT) is skipped with its
 * content, and a card cut off by the end of the text is still returned.
 */
export function parseVcards(text: string): Vcard[] {
  const cards: Vcard[] = [];
  let card: CardBuilder | null = null;
  let nested = 0;
  for (const raw of logicalLines(text)) {
    const line = parseLine(raw);
    if (line === null) continue;
    const marker = line.value.trim().toLowerCase();
    if (line.name === "begin" && marker === "vcard") {
      if (card === null) card = new CardBuilder();
      else nested += 1;
      continue;
    }
    if (line.name === "end" && marker === "vcard") {
      if (nested > 0) {
        nested -= 1;
      } else if (card !== null) {
        cards.push(card.build());
        card = null;
      }
      continue;
    }
    if (card !== null && nested === 0) card.add(line);
  }
  if (card !== null) cards.push(card.build());
  return cards;
}
