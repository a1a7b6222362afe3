import type { z } from "zod";
import { ErrorBody } from "../../../protocol/index.ts";
import type { apiRequest } from "../data/api.ts";
import type { ApiFailure } from "../data/types.ts";

/**
 * The HTTP side of uploads, behind an interface so that tests run the
 * uploader against a fake server. Every failure is an ApiFailure, with
 * status 0 when the server could not be reached.
 */
export interface UploadTransport {
  /** A JSON request under /api, parsed with `schema` (null for 204). */
  request<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    schema: z.ZodType<T> | null,
    body: unknown,
    signal: AbortSignal,
  ): Promise<T>;
  /**
   * PUTs `bytes` to `path` under /api, calling `progress` with the bytes
   * sent so far.
   */
  putPart(
    path: string,
    bytes: Uint8Array<ArrayBuffer>,
    progress: (sent: number) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

const UNREACHABLE = "Cannot reach the server. Check your connection.";

/**
 * Returns the browser's transport: JSON requests through `request` (the
 * data layer's apiRequest), and parts with XMLHttpRequest, for upload
 * progress, or fetch where there is none.
 */
export function browserTransport(
  request: typeof apiRequest,
  Failure: typeof ApiFailure,
): UploadTransport {
  return {
    request: (method, path, schema, body, signal) =>
      request(method, path, schema, body, { signal }),
    putPart: async (path, bytes, progress, signal) => {
      if (typeof XMLHttpRequest !== "undefined") {
        return putWithXhr(Failure, path, bytes, progress, signal);
      }
      const body = new Blob([bytes], { type: "application/octet-stream" });
      await request("PUT", path, null, body, { signal });
      progress(bytes.length);
    },
  };
}

/**
 * PUTs with XMLHttpRequest, because fetch reports no upload progress
 * (Chromium streams request bodies only over HTTP/2 and without
 * progress events).
 */
function putWithXhr(
  Failure: typeof ApiFailure,
  path: string,
  bytes: Uint8Array<ArrayBuffer>,
  progress: (sent: number) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.upload.onprogress = (event) => progress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        progress(bytes.length);
        resolve();
      } else {
        reject(failureOfXhr(Failure, xhr));
      }
    };
    xhr.onerror = () => reject(new Failure("internal", UNREACHABLE, 0));
    xhr.onabort = () =>
      reject(new DOMException("The upload was aborted", "AbortError"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    if (signal.aborted) {
      xhr.abort();
      return;
    }
    xhr.send(bytes);
  });
}

function failureOfXhr(
  Failure: typeof ApiFailure,
  xhr: XMLHttpRequest,
): ApiFailure {
  let body: unknown = null;
  try {
    body = JSON.parse(xhr.responseText);
  } catch {
    // Not JSON: a proxy page, reported below with the status.
  }
  const parsed = ErrorBody.safeParse(
    (body as { error?: unknown } | null)?.error,
  );
  if (parsed.success) {
    const { code, message, field, retryAfter } = parsed.data;
    return new Failure(code, message, xhr.status, field, retryAfter);
  }
  return new Failure(
    xhr.status === 401 ? "unauthenticated" : "internal",
    `The server replied with status ${xhr.status}. Try again later.`,
    xhr.status,
  );
}
