import {
  ConcurrentUpdateError,
  CustomerNotFoundError,
  ExternalIdTakenError,
  InvalidArgumentError,
  StorageUnavailableError,
} from '../customers/errors.js';

/** The Connect protocol's error codes this API uses, with the HTTP status each travels under. */
export const STATUS_OF_CODE = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  aborted: 409,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_OF_CODE;

export interface ErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP-level refusal (content type, body syntax), raised before the domain sees the request. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly statusCode: number = STATUS_OF_CODE[code],
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export const errorResponse = (code: ErrorCode, message: string, statusCode: number = STATUS_OF_CODE[code]): ErrorResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ code, message }),
});

// Neither says "nothing was changed": a write that timed out may still have been applied. Retrying is safe,
// since renaming to the value a customer already holds answers 200 without writing.
const INTERNAL_MESSAGE = 'The rename failed because of an internal error. Read the customer to see its current externalId.';
const UNAVAILABLE_MESSAGE = 'The customer database is temporarily unavailable or did not answer in time. Retry with backoff.';

/** The one place where an error becomes an HTTP answer. 5xx messages are fixed so nothing internal leaks. */
export const toErrorResponse = (error: unknown): ErrorResponse => {
  if (error instanceof RequestError) return errorResponse(error.code, error.message, error.statusCode);
  if (error instanceof InvalidArgumentError) return errorResponse('invalid_argument', error.message);
  if (error instanceof CustomerNotFoundError) return errorResponse('not_found', error.message);
  if (error instanceof ExternalIdTakenError || error instanceof ConcurrentUpdateError) {
    return errorResponse('aborted', error.message);
  }
  if (error instanceof StorageUnavailableError) return errorResponse('unavailable', UNAVAILABLE_MESSAGE);
  return errorResponse('internal', INTERNAL_MESSAGE);
};
