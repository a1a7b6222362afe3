/**
 * Splits message text into plain text and http(s) links, so that links can
 * be rendered as anchors without ever parsing the text as HTML.
 */

export type TextPart =
  { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;

/** Punctuation that usually ends a sentence rather than a URL. */
const TRAILING_RE = /[.,;:!?'")\]}]+$/;

/** Returns the href of a URL when it parses as http or https, else null. */
function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.href;
  } catch {
    return null;
  }
}

/** Trims trailing punctuation, keeping a closing bracket that is balanced. */
function trimUrl(raw: string): string {
  let url = raw.replace(TRAILING_RE, "");
  const opens = (url.match(/\(/g) ?? []).length;
  const closes = (url.match(/\)/g) ?? []).length;
  if (opens > closes && raw.length > url.length && raw[url.length] === ")") {
    url += ")";
  }
  return url;
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index;
    const url = trimUrl(match[0]);
    const href = safeHref(url);
    if (href === null) continue;
    if (start > last)
      parts.push({ kind: "text", text: text.slice(last, start) });
    parts.push({ kind: "link", text: url, href });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
  return parts;
}
