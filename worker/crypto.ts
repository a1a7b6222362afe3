/** Fills `length` bytes from the platform's cryptographic generator. */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary)
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hashes the UTF-8 encoding of `text` with SHA-256, as lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const data = new TextEncoder().encode(text);
  const digest = await crypto.subtle.digest("SHA-256", data);
  return hex(new Uint8Array(digest));
}

/**
 * Compares two strings in time independent of where they differ. Both are
 * hashed first so that the compared buffers always have the same length.
 */
export async function constantTimeEqual(
  a: string,
  b: string,
): Promise<boolean> {
  const encoder = new TextEncoder();
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  // workerd adds timingSafeEqual to SubtleCrypto; the DOM typings lack it.
  const subtle = crypto.subtle as SubtleCrypto & {
    timingSafeEqual(a: ArrayBuffer, b: ArrayBuffer): boolean;
  };
  return subtle.timingSafeEqual(left, right);
}

/** Draws a code of `digits` decimal digits, uniformly distributed. */
export function randomDigits(digits: number): string {
  const limit = 10 ** digits;
  // Rejection sampling: values at or above the largest multiple of `limit`
  // that fits in 32 bits would make low codes more likely.
  const ceiling = Math.floor(2 ** 32 / limit) * limit;
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    const value = word[0] ?? 0;
    if (value < ceiling) return String(value % limit).padStart(digits, "0");
  }
}

/** Decodes base64url text, padded or not, into bytes. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Hashes `text` with SHA-256 and returns the first `chars` of base64url. */
export async function sha256Base64url(
  text: string,
  chars: number,
): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return base64url(new Uint8Array(digest)).slice(0, chars);
}
