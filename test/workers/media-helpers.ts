import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import {
  partBytes,
  partCount,
  type UploadState,
} from "../../protocol/index.ts";
import { api, json, newMessageId, ORIGIN, type TestUser } from "./helpers.ts";

/** Returns `size` bytes of a pattern that differs from part to part. */
export function patternBytes(size: number, seed = 7): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = (i * 31 + (i >>> 11) * 17 + seed) & 0xff;
  }
  return bytes;
}

/**
 * Returns the index of the first byte where `a` and `b` differ, or -1 when
 * they are equal. Comparing large arrays with toEqual exhausts workerd's
 * memory, so tests compare this index instead.
 */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return i;
  }
  return a.length === b.length ? -1 : length;
}

export function mediaPath(chatId: string, mediaId: string): string {
  return `/api/chats/${chatId}/media/${mediaId}`;
}

export function createUpload(
  user: TestUser,
  chatId: string,
  body: unknown,
): Promise<Response> {
  return api("POST", `/api/chats/${chatId}/media`, {
    cookie: user.cookie,
    body,
  });
}

/** Starts an upload that must be accepted and returns its state. */
export async function startUpload(
  user: TestUser,
  chatId: string,
  size: number,
): Promise<UploadState> {
  const response = await createUpload(user, chatId, { size });
  expect(response.status, await response.clone().text()).toBe(201);
  return json<UploadState>(response);
}

export interface PartOptions {
  /** Sends the body as a stream, without a Content-Length. */
  stream?: boolean;
  headers?: Record<string, string>;
}

export function putPart(
  user: TestUser,
  chatId: string,
  mediaId: string,
  part: number | string,
  bytes: Uint8Array<ArrayBuffer>,
  options: PartOptions = {},
): Promise<Response> {
  const body = options.stream
    ? new ReadableStream<Uint8Array<ArrayBuffer>>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      })
    : bytes;
  return SELF.fetch(`${ORIGIN}${mediaPath(chatId, mediaId)}/parts/${part}`, {
    method: "PUT",
    headers: { Cookie: user.cookie, ...options.headers },
    body,
  });
}

/** Returns part `part` (1-based) of `bytes` as the protocol cuts it. */
export function partOf(
  bytes: Uint8Array<ArrayBuffer>,
  part: number,
): Uint8Array<ArrayBuffer> {
  const start = (part - 1) * partBytes(bytes.byteLength, 1);
  return bytes.slice(start, start + partBytes(bytes.byteLength, part));
}

/** Uploads one part that must be accepted. */
export async function sendPart(
  user: TestUser,
  chatId: string,
  mediaId: string,
  bytes: Uint8Array<ArrayBuffer>,
  part: number,
): Promise<void> {
  const response = await putPart(
    user,
    chatId,
    mediaId,
    part,
    partOf(bytes, part),
  );
  expect(response.status, await response.clone().text()).toBe(204);
}

export function completeUpload(
  user: TestUser,
  chatId: string,
  mediaId: string,
): Promise<Response> {
  return api("POST", `${mediaPath(chatId, mediaId)}/complete`, {
    cookie: user.cookie,
  });
}

export function uploadState(
  user: TestUser,
  chatId: string,
  mediaId: string,
): Promise<Response> {
  return api("GET", `${mediaPath(chatId, mediaId)}/upload`, {
    cookie: user.cookie,
  });
}

/** Uploads and completes `bytes`, part by part, and returns the media id. */
export async function uploadFile(
  user: TestUser,
  chatId: string,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const { mediaId } = await startUpload(user, chatId, bytes.byteLength);
  for (let part = 1; part <= partCount(bytes.byteLength); part++) {
    await sendPart(user, chatId, mediaId, bytes, part);
  }
  const completed = await completeUpload(user, chatId, mediaId);
  expect(completed.status, await completed.clone().text()).toBe(200);
  return mediaId;
}

export function download(
  user: TestUser,
  chatId: string,
  mediaId: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${mediaPath(chatId, mediaId)}`, {
    method,
    headers: { Cookie: user.cookie, ...headers },
  });
}

/** Sends a message listing `media` over HTTP. */
export function sendWithMedia(
  user: TestUser,
  chatId: string,
  media: string[],
  id = newMessageId(),
): Promise<Response> {
  return api("POST", `/api/chats/${chatId}/messages`, {
    cookie: user.cookie,
    body: { id, kind: "message", body: "a file", media },
  });
}
