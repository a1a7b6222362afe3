import { signal, type ReadonlySignal, type Signal } from "@preact/signals";
import { z } from "zod";
import { MEDIA_TRANSFER_CHANNEL } from "../../../protocol/index.ts";

/**
 * Progress of uploads and downloads, one signal per media id. Uploads run
 * in the leader tab only (the one that runs the outbox), so every change
 * is also posted on a BroadcastChannel and the other tabs of the app show
 * the same progress.
 */

/** Progress of the upload or download of one file. */
export interface Transfer {
  direction: "up" | "down";
  /** Bytes of plaintext done so far. */
  loaded: number;
  /** Plaintext bytes of the file. */
  total: number;
  /** `waiting`: offline or paused before a retry. */
  state: "running" | "waiting" | "failed" | "done";
  /** The reason of a failure, as a sentence for the person. */
  error?: string;
}

const TransferMessage = z.object({
  mediaId: z.string().max(64),
  transfer: z
    .object({
      direction: z.enum(["up", "down"]),
      loaded: z.number(),
      total: z.number(),
      state: z.enum(["running", "waiting", "failed", "done"]),
      error: z.string().optional(),
    })
    .nullable(),
});

const transfers = new Map<string, Signal<Transfer | undefined>>();
let channel: BroadcastChannel | null = null;

function transferSignal(mediaId: string): Signal<Transfer | undefined> {
  let current = transfers.get(mediaId);
  if (current === undefined) {
    current = signal<Transfer | undefined>(undefined);
    transfers.set(mediaId, current);
  }
  return current;
}

function openChannel(): BroadcastChannel | null {
  if (channel !== null || typeof BroadcastChannel === "undefined") {
    return channel;
  }
  channel = new BroadcastChannel(MEDIA_TRANSFER_CHANNEL);
  channel.onmessage = (event: MessageEvent) => {
    const parsed = TransferMessage.safeParse(event.data);
    if (!parsed.success) return;
    const { mediaId, transfer } = parsed.data;
    transferSignal(mediaId).value = transfer ?? undefined;
  };
  return channel;
}

/** Progress of one file's transfer, undefined when none runs. */
export function transferOf(
  mediaId: string,
): ReadonlySignal<Transfer | undefined> {
  openChannel();
  return transferSignal(mediaId);
}

/** Sets the progress of `mediaId` in this tab and in the others. */
export function setTransfer(mediaId: string, transfer: Transfer | undefined) {
  transferSignal(mediaId).value = transfer;
  openChannel()?.postMessage({ mediaId, transfer: transfer ?? null });
}

/** Returns the progress of `mediaId` in this tab. */
export function currentTransfer(mediaId: string): Transfer | undefined {
  return transfers.get(mediaId)?.value;
}
