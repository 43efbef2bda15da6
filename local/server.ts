import { isUtf8 } from 'node:buffer';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { errorResponse, type ErrorResponse } from '../shared/http/errors.js';

/**
 * A stand-in for the API Gateway HTTP API in front of the two functions: it routes, checks a bearer token,
 * builds the payload 2.0 event and writes the function's answer back. Only for running on a laptop.
 */
export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface LocalServerOptions {
  byId: LambdaHttpHandler;
  byExternalId: LambdaHttpHandler;
  /** The one bearer token accepted, standing in for API Gateway's JWT authorizer. */
  token: string;
  /** API Gateway accepts up to 10 MB; a rename body is a few dozen bytes. */
  maxBodyBytes?: number;
  /** What API Gateway waits for an integration before it gives up. */
  timeoutMs?: number;
  /** One line per answered request; nothing is logged when absent. */
  log?: (line: string) => void;
}

interface Route {
  routeKey: string;
  functionName: string;
  /** Literal path segments before the single parameter segment. */
  prefix: readonly string[];
  parameter: string;
  handler: keyof Pick<LocalServerOptions, 'byId' | 'byExternalId'>;
}

const ROUTES: readonly Route[] = [
  {
    routeKey: 'PUT /v1/customers/external/{customer_external_id}',
    functionName: 'rename-by-external-id',
    prefix: ['v1', 'customers', 'external'],
    parameter: 'customer_external_id',
    handler: 'byExternalId',
  },
  {
    routeKey: 'PUT /v1/customers/{customer_id}',
    functionName: 'rename-by-id',
    prefix: ['v1', 'customers'],
    parameter: 'customer_id',
    handler: 'byId',
  },
];

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
// Past this the client is not sending a request body but a stream: stop draining and drop the connection.
const DRAIN_LIMIT_FACTOR = 16;

const matchRoute = (method: string, rawPath: string): { route: Route; rawValue: string } | undefined => {
  const [root, ...segments] = rawPath.split('/');
  if (method !== 'PUT' || root !== '') return undefined;
  for (const route of ROUTES) {
    const rawValue = segments[route.prefix.length];
    if (
      segments.length === route.prefix.length + 1 &&
      route.prefix.every((literal, index) => segments[index] === literal) &&
      rawValue !== undefined &&
      rawValue !== ''
    ) {
      return { route, rawValue };
    }
  }
  return undefined;
};

/** Header names lowercased and repeated headers joined by commas, as payload 2.0 delivers them. */
const eventHeaders = (rawHeaders: string[]): Record<string, string> => {
  // A Map, so names such as __proto__ or constructor are plain keys and not the object's own machinery.
  const headers = new Map<string, string>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] ?? '').toLowerCase();
    const value = rawHeaders[index + 1] ?? '';
    const earlier = headers.get(name);
    headers.set(name, earlier === undefined ? value : `${earlier},${value}`);
  }
  return Object.fromEntries(headers);
};

const sha256 = (text: string) => createHash('sha256').update(text).digest();

const authorizationProblem = (header: string | undefined, token: string): string | undefined => {
  const hint = 'Send the header `Authorization: Bearer <token>` with the token `npm start` printed (API_TOKEN).';
  if (header === undefined || header.trim() === '') return `The request has no Authorization header. ${hint}`;
  const [scheme = '', ...rest] = header.split(' ');
  const credentials = rest.join(' ');
  if (scheme.toLowerCase() !== 'bearer') return `The Authorization header must use the Bearer scheme. ${hint}`;
  if (credentials === '') return `The Authorization header has no token after Bearer. ${hint}`;
  // Compared as digests so the comparison takes the same time whatever the length of the guess.
  if (!timingSafeEqual(sha256(credentials), sha256(token))) return `The bearer token is not the one this server accepts. ${hint}`;
  return undefined;
};

/** The body, or 'too-large' once it passes the cap; undefined when the client went away mid-body. */
const readBody = async (request: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large' | undefined> => {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes * DRAIN_LIMIT_FACTOR) {
        request.destroy();
        return undefined;
      }
      // Keep reading without keeping: a client that is still sending reads a 413 better than a reset.
      if (size <= maxBytes) chunks.push(chunk);
    }
  } catch {
    return undefined;
  }
  return size > maxBytes ? 'too-large' : Buffer.concat(chunks);
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (value: number) => String(value).padStart(2, '0');

/** API Gateway's requestContext.time, e.g. 25/May/2026:09:30:00 +0000. */
const requestTime = (date: Date) =>
  `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
  `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;

interface EventInput {
  request: IncomingMessage;
  route: Route;
  value: string;
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  body: Buffer;
  requestId: string;
}

const buildEvent = ({ request, route, value, rawPath, rawQueryString, headers, body, requestId }: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const now = new Date();
  const host = headers['host'] ?? 'localhost';
  const { cookie, ...otherHeaders } = headers;
  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters = Object.fromEntries([...new Set(query.keys())].map((name) => [name, query.getAll(name).join(',')]));
  // API Gateway passes text as text and anything else base64-encoded, flagged so the function can tell.
  const text = isUtf8(body);
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookie === undefined ? {} : { cookies: cookie.split(';').map((part) => part.trim()) }),
    headers: otherHeaders,
    ...(rawQueryString === '' ? {} : { queryStringParameters }),
    pathParameters: { [route.parameter]: value },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: { principalId: null, integrationLatency: null, jwt: { claims: { sub: 'local' }, scopes: null } },
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: request.method ?? 'PUT',
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length === 0 ? {} : { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !text,
  };
};

const lambdaContext = (functionName: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  const region = process.env['AWS_REGION'] ?? 'us-east-1';
  const unsupported = () => {
    throw new Error('The local server supports only async handlers.');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
};

interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

const fromEnvelope = ({ statusCode, headers, body }: ErrorResponse): HttpAnswer => ({
  statusCode,
  headers,
  cookies: [],
  body: Buffer.from(body),
});

const INTERNAL = (message: string) => fromEnvelope(errorResponse('internal', message));

/** Payload 2.0 response rules: a bare string or an object without statusCode is a 200 JSON body. */
const fromResult = (result: APIGatewayProxyResultV2): HttpAnswer => {
  const json = { 'content-type': 'application/json' };
  if (typeof result === 'string') return { statusCode: 200, headers: json, cookies: [], body: Buffer.from(result) };
  if (typeof result !== 'object' || result === null) return INTERNAL('The function returned no response.');
  if (result.statusCode === undefined) return { statusCode: 200, headers: json, cookies: [], body: Buffer.from(JSON.stringify(result)) };
  if (!Number.isInteger(result.statusCode) || result.statusCode < 100 || result.statusCode > 599) {
    return INTERNAL(`The function returned an invalid statusCode ${JSON.stringify(result.statusCode)}.`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const body = result.body ?? '';
  return {
    statusCode: result.statusCode,
    headers,
    cookies: result.cookies ?? [],
    body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body),
  };
};

const send = (response: ServerResponse, answer: HttpAnswer, requestId: string) => {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(answer.statusCode, {
    ...answer.headers,
    'content-length': answer.body.length,
    'apigw-requestid': requestId,
    ...(answer.cookies.length === 0 ? {} : { 'set-cookie': answer.cookies }),
  });
  response.end(answer.body);
};

const handleRequest = async (request: IncomingMessage, options: LocalServerOptions, requestId: string): Promise<{ answer?: HttpAnswer; route?: Route }> => {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : url.slice(queryAt + 1);

  // API Gateway answers an unknown route before any authorizer runs.
  const match = matchRoute(request.method ?? '', rawPath);
  if (match === undefined) {
    return { answer: fromEnvelope(errorResponse('not_found', `No route for ${request.method} ${rawPath}.`)) };
  }
  const { route, rawValue } = match;
  const headers = eventHeaders(request.rawHeaders);
  const authProblem = authorizationProblem(headers['authorization'], options.token);
  if (authProblem !== undefined) return { route, answer: fromEnvelope(errorResponse('unauthenticated', authProblem)) };

  let value: string;
  try {
    value = decodeURIComponent(rawValue);
  } catch {
    const message = `${route.parameter} in the path is not valid percent-encoded UTF-8; encode the value once with encodeURIComponent.`;
    return { route, answer: fromEnvelope(errorResponse('invalid_argument', message)) };
  }

  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const body = await readBody(request, maxBodyBytes);
  if (body === undefined) return { route };
  if (body === 'too-large') {
    const message = `The request body is larger than ${maxBodyBytes} bytes; send {"externalId": "<new externalId>"}.`;
    return { route, answer: fromEnvelope(errorResponse('invalid_argument', message, 413)) };
  }

  const event = buildEvent({ request, route, value, rawPath, rawQueryString, headers, body, requestId });
  const context = lambdaContext(route.functionName, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return { route, answer: fromResult(await options[route.handler](event, context)) };
};

export const createLocalServer = (options: LocalServerOptions): Server =>
  createServer((request, response) => {
    const started = Date.now();
    const requestId = randomUUID();
    const finish = (result: HttpAnswer | undefined, route?: Route) => {
      if (result === undefined) {
        options.log?.(`${request.method} ${request.url} closed before an answer`);
        return;
      }
      send(response, result, requestId);
      const where = route === undefined ? '' : ` [${route.functionName}]`;
      options.log?.(`${request.method} ${request.url} -> ${result.statusCode}${where} ${Date.now() - started} ms`);
    };
    handleRequest(request, options, requestId)
      .catch((error: unknown) => {
        // A bug here or a handler that threw past Middy: answer like API Gateway's 500, keep serving.
        console.error(`Local server error on ${request.method} ${request.url}:`, error);
        return { answer: INTERNAL('The local server failed while handling the request; see its console output.'), route: undefined };
      })
      .then(({ answer: result, route }) => finish(result, route))
      .catch((error: unknown) => {
        // The function's answer could not be written (a header value with a line break, say).
        console.error(`Local server could not write the answer to ${request.method} ${request.url}:`, error);
        if (response.headersSent) return void response.destroy();
        for (const name of response.getHeaderNames()) response.removeHeader(name);
        send(response, INTERNAL('The function returned a response that cannot be sent over HTTP.'), requestId);
      });
  });
