import { ApiError, type ErrorBody } from "../protocol/index.ts";

/**
 * The outcome of an RPC call into a Durable Object. Errors travel as plain
 * data because RPC keeps only the message of a thrown Error, not its code.
 */
export type Result<T> =
  { ok: true; value: T } | { ok: false; error: ErrorBody };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(
  code: ErrorBody["code"],
  message: string,
  field?: string,
): Result<T> {
  return { ok: false, error: new ApiError(code, message, field).toBody() };
}

/** Returns the value, or raises the carried error as an ApiError. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const { code, message, field, retryAfter } = result.error;
  throw new ApiError(code, message, field, retryAfter);
}

/**
 * Runs `body` and turns an ApiError it raises into a failed Result, so an
 * RPC method can use early `throw`s and still return typed errors.
 */
export async function catchApiError<T>(
  body: () => T | Promise<T>,
): Promise<Result<T>> {
  try {
    return ok(await body());
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.toBody() };
    throw error;
  }
}
