import { z } from "zod";

/**
 * Error codes shared by HTTP replies and `error` frames. HTTP replies carry
 * them with the status named beside each.
 */
export const ErrorCode = z.enum([
  "invalid_request", // 400: a field is missing or invalid; `field` names it
  "too_large", // 413: a body or field is over its limit
  "unauthenticated", // 401: no session, or the session was revoked
  "account_deleted", // 401: the session's account was deleted
  "forbidden", // 403: not a member, not an admin, or not the author
  "bad_origin", // 403: the WebSocket upgrade came from another site
  "not_found", // 404: no such account, chat or message for this person
  "conflict", // 409: the change conflicts with the current state
  "code_expired", // 400: the one-time code expired or was used up
  "code_invalid", // 400: the one-time code is wrong
  "rate_limited", // 429: too many requests; `retryAfter` in seconds
  "group_full", // 409: the group is at its member limit
  "stale_epoch", // 409: a commit was made at an old MLS epoch; catch up first
  "internal", // 500: a server fault; details are in the server log only
  "unavailable", // 503: a feature is not set up on this server
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  code: ErrorCode,
  /** A sentence for the person: what went wrong and what to do. */
  message: z.string(),
  /** Dotted path of the offending field, for `invalid_request`. */
  field: z.string().optional(),
  /** Seconds to wait, for `rate_limited`. */
  retryAfter: z.number().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  too_large: 413,
  unauthenticated: 401,
  account_deleted: 401,
  forbidden: 403,
  bad_origin: 403,
  not_found: 404,
  conflict: 409,
  code_expired: 400,
  code_invalid: 400,
  rate_limited: 429,
  group_full: 409,
  stale_epoch: 409,
  internal: 500,
  unavailable: 503,
};

/** Raised inside the server to end a request with a typed error reply. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    field?: string,
    retryAfter?: number,
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.field !== undefined) body.field = this.field;
    if (this.retryAfter !== undefined) body.retryAfter = this.retryAfter;
    return body;
  }
}

/**
 * Turns the first issue of a failed schema check into an error that names
 * the field and what is wrong with it, for example
 * `message.body: must be at most 262144 bytes of UTF-8`.
 */
export function describeIssue(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  if (issue === undefined) {
    return new ApiError("invalid_request", "The request is invalid.");
  }
  const field = issue.path.map(String).join(".");
  const tooLarge =
    issue.code === "too_big" || /at most .* bytes/.test(issue.message);
  const text = field === "" ? issue.message : `${field}: ${issue.message}`;
  return new ApiError(
    tooLarge ? "too_large" : "invalid_request",
    text,
    field === "" ? undefined : field,
  );
}
