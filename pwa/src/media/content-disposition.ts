/** A UTF-16 surrogate without its pair, which UTF-8 cannot encode. */
const LONE_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Returns a Content-Disposition header value that makes a browser save a
 * file as `name`: `attachment` with an ASCII `filename` for old clients
 * and a UTF-8 `filename*` (RFC 6266 section 4.3, RFC 5987 encoding) that
 * current browsers prefer.
 */
export function contentDisposition(name: string): string {
  const safe =
    name
      .replace(LONE_SURROGATE, "\ufffd")
      // A header value cannot carry control characters.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, "")
      .trim() || "file";
  return `attachment; filename="${asciiFallback(safe)}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
}

/**
 * Replaces what a quoted-string cannot carry portably: non-ASCII
 * characters become "_", and quotes and backslashes, which some browsers
 * do not unescape, become "_" too.
 */
function asciiFallback(name: string): string {
  return name.replace(/[^\u0020-\u007e]|["\\]/gu, "_");
}

/**
 * Percent-encodes UTF-8 for an RFC 5987 ext-value, whose attr-char allows
 * ALPHA, DIGIT and !#$&+-.^_`|~ only. encodeURIComponent leaves
 * '()* unescaped, which attr-char does not allow.
 */
function encodeRfc5987(name: string): string {
  return encodeURIComponent(name).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
