import middy, { type MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { StorageUnavailableError } from '../customers/errors.js';
import { RequestError, toErrorResponse } from './errors.js';

export type HttpEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body?: unknown };
type Middleware = MiddlewareObj<HttpEvent, APIGatewayProxyResultV2, Error, Context>;

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

// Middy's parser reads only two spellings of content-type; callers other than API Gateway may send any.
const lowercaseHeaderNames: Middleware = {
  before: ({ event }) => {
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    event.headers = headers;
  },
};

// Checked here, before Middy's parser, so each refusal gets its own actionable message.
const requireJsonBody: Middleware = {
  before: ({ event }) => {
    if (!JSON_CONTENT_TYPE.test(event.headers['content-type'] ?? '')) {
      throw new RequestError(
        'invalid_argument',
        'Content-Type must be application/json (or another application/*+json type) with a JSON object body.',
        415,
      );
    }
    const encoding = event.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      throw new RequestError('invalid_argument', `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send the JSON body uncompressed.`, 415);
    }
    if (event.isBase64Encoded && typeof event.body === 'string') {
      event.body = decodeUtf8(Buffer.from(event.body, 'base64'));
      event.isBase64Encoded = false;
    }
    // RFC 8259 lets a parser ignore a leading byte order mark; JSON.parse does not.
    if (typeof event.body === 'string' && event.body.startsWith('\uFEFF')) event.body = event.body.slice(1);
    if (event.body === undefined || event.body === null || event.body === '') {
      throw new RequestError('invalid_argument', 'The request body is required: send {"externalId": "<new externalId>"}.');
    }
  },
};

// Strict: a lenient decoder would turn a bad byte into U+FFFD and store it as part of an externalId.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const decodeUtf8 = (bytes: Buffer): string => {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new RequestError('invalid_argument', 'The request body is not valid UTF-8 text.');
  }
};

const isBodyParserError = (error: unknown): error is Error & { cause?: { data?: unknown } } =>
  error instanceof Error && (error.cause as { package?: unknown } | undefined)?.package === '@middy/http-json-body-parser';

const parserErrorMessage = (error: Error & { cause?: { data?: unknown; message?: unknown } }) => {
  if (error.message === 'Forbidden key in JSON body') {
    return `The request body must not contain the key ${JSON.stringify(String(error.cause?.data))}.`;
  }
  if (String(error.cause?.message).includes('call stack')) return 'The request body is nested too deeply to be read.';
  return 'The request body is not valid JSON: send {"externalId": "<new externalId>"}.';
};

// Middy answers for a handler that would overrun the Lambda timeout; by then the database has not answered.
const isMiddyTimeout = (error: unknown) =>
  error instanceof Error && error.name === 'TimeoutError' && (error.cause as { package?: unknown } | undefined)?.package === '@middy/core';

const logFailure = (error: Error, context: Context | undefined) => {
  // Only the error's class and message: request bodies and headers may hold personal data or tokens.
  const cause = error.cause instanceof Error ? { causeName: error.cause.name, causeMessage: error.cause.message } : {};
  console.error(JSON.stringify({ level: 'error', requestId: context?.awsRequestId, errorName: error.name, message: error.message, ...cause }));
};

const renderErrors: Middleware = {
  onError: (request) => {
    const error = isBodyParserError(request.error)
      ? new RequestError('invalid_argument', parserErrorMessage(request.error))
      : isMiddyTimeout(request.error)
        ? new StorageUnavailableError('The request ran out of time.', { cause: request.error })
        : request.error;
    const response = toErrorResponse(error);
    if (response.statusCode >= 500 && request.error) logFailure(request.error, request.context);
    request.response = response;
  },
};

/** Aborted by Middy when it answers early for the Lambda deadline, so no work goes on after that answer. */
export interface HandlerOptions {
  signal: AbortSignal;
}

/** The Middy stack both functions share: header casing, content type, JSON parsing, error rendering. */
export const httpApi = (handler: (event: HttpEvent, context: Context, options: HandlerOptions) => Promise<APIGatewayProxyResultV2>) =>
  // Half a second before Lambda's deadline Middy gives up, leaving time to answer 503 rather than time out.
  middy<HttpEvent, APIGatewayProxyResultV2, Error, Context>({ timeoutEarlyInMillis: 500 })
    .use(renderErrors)
    .use(lowercaseHeaderNames)
    .use(requireJsonBody)
    // requireJsonBody has checked the content type already, more leniently about whitespace than Middy does.
    .use(httpJsonBodyParser({ disableContentTypeCheck: true }) as unknown as Middleware)
    .handler(handler);

export const jsonResponse = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
