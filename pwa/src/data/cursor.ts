/**
 * The sync cursor of a chat is the highest sequence up to which this device
 * has every message since it started following the chat. A reconnect
 * requests everything after it, so a gap below the cursor would never be
 * filled, and the cursor must not move past a missing sequence.
 */

/** Moves `cursor` forward over the consecutive sequences in `present`. */
export function gapFreeSeq(cursor: number, present: Iterable<number>): number {
  const later = new Set<number>();
  for (const seq of present) if (seq > cursor) later.add(seq);
  let next = cursor;
  while (later.has(next + 1)) next += 1;
  return next;
}

/**
 * Returns the cursor after a page of "everything after `afterSeq`". The server
 * sends such pages without gaps, so when the page starts at or before the
 * cursor's next sequence the cursor moves to the page's end. A page requested
 * with afterSeq 0 is the newest page of a chat this device did not follow
 * yet, and becomes the starting point.
 */
export function cursorAfterPage(
  cursor: number,
  afterSeq: number,
  pageSeqs: readonly number[],
): number {
  if (pageSeqs.length === 0 || afterSeq > cursor) return cursor;
  return Math.max(cursor, ...pageSeqs);
}

/** True when sequences above the cursor are stored, so some are missing. */
export function hasGap(cursor: number, present: Iterable<number>): boolean {
  for (const seq of present) if (seq > cursor) return true;
  return false;
}
