import type { z } from "zod";
import { ErrorBody, HTTP_STATUS } from "../../../protocol/index.ts";
import { ApiFailure } from "./types.ts";

/**
 * JSON client of the HTTP API under /api. Every failure becomes an
 * ApiFailure: the server's `{error}` body when there is one, else a failure
 * with status 0 for a network error.
 */

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

let onUnauthenticated: (failure: ApiFailure) => void = () => {};

/**
 * Sets what runs when a signed-in request gets 401: a revoked session, or
 * with the code "account_deleted" a deleted account.
 */
export function setUnauthenticatedHandler(
  handler: (failure: ApiFailure) => void,
): void {
  onUnauthenticated = handler;
}

/** Turns an error reply into an ApiFailure with the server's message. */
export async function failureOf(response: Response): Promise<ApiFailure> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // A proxy error page or an empty body: fall through to a generic error.
  }
  const parsed = ErrorBody.safeParse(
    (body as { error?: unknown } | null)?.error,
  );
  if (parsed.success) {
    const { code, message, field, retryAfter } = parsed.data;
    return new ApiFailure(code, message, response.status, field, retryAfter);
  }
  const code = response.status === 401 ? "unauthenticated" : "internal";
  return new ApiFailure(
    code,
    `The server replied with status ${response.status}. Try again later.`,
    response.status || HTTP_STATUS.internal,
  );
}

/** Returns the headers and body of a request: JSON, or a Blob as it is. */
function encodeBody(body: unknown): {
  headers: HeadersInit;
  body: BodyInit | null;
} {
  if (body === undefined) return { headers: {}, body: null };
  if (body instanceof Blob) {
    return { headers: { "content-type": body.type }, body };
  }
  return {
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

/**
 * Sends a request and parses the reply with `schema`. `body` is sent as
 * JSON, or as it is with its own type when it is a Blob. Pass `schema` null
 * for replies without a body (204). `signedIn` false marks the sign-in
 * requests, whose 401 does not mean that this device was revoked.
 */
export async function apiRequest<T>(
  method: Method,
  path: string,
  schema: z.ZodType<T> | null,
  body?: unknown,
  options: { signal?: AbortSignal; signedIn?: boolean } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      credentials: "same-origin",
      ...encodeBody(body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiFailure(
      "internal",
      "Cannot reach the server. Check your connection and try again.",
      0,
    );
  }
  if (!response.ok) {
    const failure = await failureOf(response);
    if (response.status === 401 && options.signedIn !== false) {
      onUnauthenticated(failure);
    }
    throw failure;
  }
  if (schema === null) return undefined as T;
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success) {
    throw new ApiFailure(
      "internal",
      `The server sent an unexpected reply to ${method} ${path}.`,
      response.status,
    );
  }
  return parsed.data;
}
