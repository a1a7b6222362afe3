import { Dexie, liveQuery, type Subscription } from "dexie";
import { db, type StoredRow } from "./db.ts";
import { log } from "./log.ts";
import type { MessageRow } from "./types.ts";

/**
 * The newest messages of a chat in pages, for a list that grows upwards.
 * Each page is a live query over a fixed range of the `order` key, so
 * adding an older page reads only that page, and a stored change re-reads
 * only the page whose range contains it. The newest page has no upper
 * bound, so new and pending messages land in it.
 */

/** The visible rows, oldest first, and how much of the chat they cover. */
export interface MessagePages {
  rows: MessageRow[];
  /** True while a requested page is still being added or read. */
  settling: boolean;
  /** True when the oldest page reaches the chat's oldest stored message. */
  complete: boolean;
}

interface Page {
  /** Lowest `order` of the page, inclusive. */
  lower: number;
  /** Highest `order` of the page, exclusive, or maxKey for the newest. */
  upper: number;
  rows: MessageRow[] | undefined;
  subscription: Subscription;
}

/** Strips the fields kept for folding from a stored row. */
export function toMessageRow(row: StoredRow): MessageRow {
  const { body: _body, hidden: _hidden, ...rest } = row;
  return rest;
}

/** Orders below this are never shown: "deleted for me" rows and commits. */
const VISIBLE_ORDER = 0;

export class MessagePager {
  readonly #chatId: string;
  readonly #pageSize: number;
  readonly #onChange: (pages: MessagePages) => void;
  /** Newest page first. */
  readonly #pages: Page[] = [];
  #adding: Promise<void> = Promise.resolve();
  #growing = false;
  #closed = false;

  constructor(
    chatId: string,
    pageSize: number,
    onChange: (pages: MessagePages) => void,
  ) {
    this.#chatId = chatId;
    this.#pageSize = pageSize;
    this.#onChange = onChange;
  }

  /** Adds older pages, one after the other, until there are `count`. */
  grow(count: number): void {
    this.#growing = true;
    this.#adding = this.#adding
      .then(async () => {
        while (!this.#closed && this.#pages.length < count) {
          if (!(await this.#addPage())) break;
        }
      })
      .catch((error: unknown) => {
        log("message_page_failed", {
          chatId: this.#chatId,
          error: String(error),
        });
      })
      .finally(() => {
        this.#growing = false;
        this.#emit();
      });
  }

  close(): void {
    this.#closed = true;
    for (const page of this.#pages) page.subscription.unsubscribe();
  }

  /** Adds the next older page. Returns false when nothing lies below. */
  async #addPage(): Promise<boolean> {
    const oldest = this.#pages.at(-1);
    if (oldest !== undefined && oldest.lower === VISIBLE_ORDER) {
      // The oldest page reached the start of what is stored, and older
      // messages fetched from the server have landed in it since. Narrow
      // it to what it shows, so the new page takes what lies below.
      const lowest = oldest.rows?.[0]?.order;
      if (lowest === undefined || lowest === VISIBLE_ORDER) return false;
      oldest.subscription.unsubscribe();
      this.#pages.pop();
      this.#subscribe(lowest, oldest.upper);
    }
    const upper = this.#pages.at(-1)?.lower ?? Dexie.maxKey;
    // The key of the page's oldest row, found without reading any row.
    const [key] = await db.messages
      .where("[chatId+order]")
      .between([this.#chatId, VISIBLE_ORDER], [this.#chatId, upper])
      .reverse()
      .offset(this.#pageSize - 1)
      .limit(1)
      .keys();
    if (this.#closed) return false;
    const lower =
      key === undefined
        ? VISIBLE_ORDER
        : (key as unknown as [string, number])[1];
    this.#subscribe(lower, upper as number);
    return true;
  }

  #subscribe(lower: number, upper: number): void {
    const chatId = this.#chatId;
    const query = () =>
      db.messages
        .where("[chatId+order]")
        .between([chatId, lower], [chatId, upper], true, false)
        .toArray();
    const page: Page = { lower, upper, rows: undefined, subscription: null! };
    page.subscription = liveQuery(query).subscribe({
      next: (rows) => {
        page.rows = rows.map(toMessageRow);
        this.#emit();
      },
      error: (error: unknown) => {
        log("live_query_failed", { chatId, error: String(error) });
      },
    });
    this.#pages.push(page);
  }

  #emit(): void {
    if (this.#closed) return;
    let loaded = 0;
    while (this.#pages[loaded]?.rows !== undefined) loaded++;
    if (loaded === 0) return;
    const rows = this.#pages
      .slice(0, loaded)
      .reverse()
      .flatMap((page) => page.rows!);
    const complete = this.#pages[loaded - 1]!.lower === VISIBLE_ORDER;
    const settling = this.#growing || loaded < this.#pages.length;
    this.#onChange({ rows, settling, complete });
  }
}
