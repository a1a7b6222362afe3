import type { z } from "zod";
import {
  ApiError,
  describeIssue,
  HTTP_STATUS,
  MAX_BODY_BYTES,
} from "../protocol/index.ts";

/**
 * Largest request body read, in bytes: a maximal message body plus room for
 * the JSON around it. Larger bodies are rejected before parsing.
 */
export const MAX_REQUEST_BYTES = MAX_BODY_BYTES + 16 * 1024;

export function jsonResponse(
  body: unknown,
  status = 200,
  headers: HeadersInit = {},
): Response {
  const merged = new Headers(headers);
  merged.set("Content-Type", "application/json; charset=utf-8");
  merged.set("Cache-Control", "no-store");
  return new Response(JSON.stringify(body), { status, headers: merged });
}

export function errorResponse(error: ApiError): Response {
  const headers: Record<string, string> = {};
  if (error.retryAfter !== undefined) {
    headers["Retry-After"] = String(error.retryAfter);
  }
  return jsonResponse(
    { error: error.toBody() },
    HTTP_STATUS[error.code],
    headers,
  );
}

/** Builds the reply to a path that does not exist or is disabled. */
/** Validates a path parameter, naming it in the error. */
export function pathParam<T>(
  schema: z.ZodType<T>,
  value: unknown,
  name: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `${name}: ${parsed.error.issues[0]?.message ?? "invalid"}`,
      name,
    );
  }
  return parsed.data;
}

export function notFound(): Response {
  return errorResponse(new ApiError("not_found", "No such API route."));
}

/**
 * Reads a request body of at most `maxBytes`, raising `tooLarge` when the
 * declared Content-Length or the bytes actually received exceed it. The
 * stream is cancelled at the first byte over the limit.
 */
export async function readBytesCapped(
  request: Request,
  maxBytes: number,
  tooLarge: ApiError,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > maxBytes) throw tooLarge;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = new ApiError(
    "too_large",
    `The request body is over ${maxBytes} bytes.`,
  );
  const bytes = await readBytesCapped(request, maxBytes, tooLarge);
  // A lenient decoder would turn invalid bytes into U+FFFD, and the
  // replacement characters would then be stored as if the client sent them.
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(
      "invalid_request",
      "The request body is not valid UTF-8.",
    );
  }
}

/**
 * Reads a JSON body of at most `maxBytes` (MAX_REQUEST_BYTES unless the
 * route allows more) and validates it.
 */
export async function readBody<T extends z.ZodType>(
  request: Request,
  schema: T,
  maxBytes = MAX_REQUEST_BYTES,
): Promise<z.infer<T>> {
  const text = await readCapped(request, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(
      "invalid_request",
      "The request body is not valid JSON.",
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw describeIssue(parsed.error);
  return parsed.data;
}

/** Returns the client address for rate limits, or "local" off Cloudflare. */
export function clientAddress(request: Request): string {
  return request.headers.get("CF-Connecting-IP") ?? "local";
}
