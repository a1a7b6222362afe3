/** A byte range of a representation: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Parses a `Range` header against a representation of `size` bytes, as
 * RFC 9110 defines it: `bytes=a-b`, `bytes=a-` or the suffix `bytes=-n`.
 * Returns null when the header is absent, malformed or lists several
 * ranges, so the whole representation is served, which RFC 9110 allows.
 * Returns "unsatisfiable" when the range starts at or after the end, or is
 * an empty suffix.
 */
export function parseRange(
  header: string | null,
  size: number,
): ByteRange | "unsatisfiable" | null {
  if (header === null) return null;
  const match = SINGLE_RANGE.exec(header.trim());
  if (match === null) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Number(last);
  if (end < start) return null;
  return { offset: start, length: Math.min(end, size - 1) - start + 1 };
}
