import { signal, type Signal } from "@preact/signals";
import { liveQuery, type Subscription } from "dexie";
import { useEffect } from "preact/hooks";
import { log } from "./log.ts";

/**
 * Live queries shared by every component that requests the same key. A
 * message list mounts rows of the same sender and chat as it scrolls, and
 * a query per row cost an IndexedDB transaction for every row mounted, so
 * the rows read one shared result instead.
 */

interface Entry {
  value: Signal<unknown>;
  users: number;
  subscription: Subscription | null;
}

const entries = new Map<string, Entry>();

function entryFor(key: string): Entry {
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = { value: signal(undefined), users: 0, subscription: null };
    entries.set(key, entry);
  }
  return entry;
}

/**
 * Runs `query` as a live query shared under `key`, which must name
 * everything the query reads. Returns undefined until the first result.
 * `onStart` runs when the first component starts using the key.
 */
export function useSharedLiveQuery<T>(
  key: string,
  query: () => Promise<T>,
  onStart?: () => void,
): T | undefined {
  const entry = entryFor(key);
  useEffect(() => {
    const used = entryFor(key);
    used.users++;
    if (used.subscription === null) {
      onStart?.();
      used.subscription = liveQuery(query).subscribe({
        next: (result) => {
          used.value.value = result;
        },
        error: (error: unknown) => {
          log("live_query_failed", { key, error: String(error) });
        },
      });
    }
    return () => {
      used.users--;
      if (used.users > 0) return;
      used.subscription?.unsubscribe();
      entries.delete(key);
    };
  }, [key]);
  // Reading the signal re-renders the component when the result changes.
  return entry.value.value as T | undefined;
}
