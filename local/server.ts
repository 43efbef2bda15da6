import { isUtf8 } from 'node:buffer';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
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
/**
 * How long a connection that is being closed after an answer keeps reading (and dropping) what the client still
 * sends. Closing a socket with unread bytes makes the kernel send a reset, and a reset can throw away the answer
 * before the client has read it.
 */
const LINGER_MS = 2_000;

interface Target {
  /** The path as the client sent it, percent-escapes and all. */
  rawPath: string;
  rawQueryString: string;
}

/**
 * The path and query of a request target in origin form (`/v1/customers/42?x=1`) or absolute form
 * (`http://localhost:3000/v1/customers/42?x=1`, which HTTP/1.1 servers must accept). The path is kept as sent:
 * URL's pathname would resolve `%2e%2e` segments and turn backslashes into slashes. Undefined when the target
 * is neither (`*`, `host:port`, a non-HTTP URL).
 */
export const parseTarget = (target: string): Target | undefined => {
  let pathAndQuery: string;
  if (target.startsWith('/')) {
    pathAndQuery = target;
  } else {
    let url: URL;
    try {
      url = new URL(target, 'http://localhost');
    } catch {
      return undefined;
    }
    const authority = /^https?:\/\/[^/?#]*/i.exec(target);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || authority === null) return undefined;
    pathAndQuery = target.slice(authority[0].length);
    if (!pathAndQuery.startsWith('/')) pathAndQuery = `/${pathAndQuery}`;
  }
  const hashAt = pathAndQuery.indexOf('#');
  if (hashAt !== -1) pathAndQuery = pathAndQuery.slice(0, hashAt);
  const queryAt = pathAndQuery.indexOf('?');
  return queryAt === -1
    ? { rawPath: pathAndQuery, rawQueryString: '' }
    : { rawPath: pathAndQuery.slice(0, queryAt), rawQueryString: pathAndQuery.slice(queryAt + 1) };
};

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

interface AuthProblem {
  message: string;
  /** The WWW-Authenticate challenge (RFC 6750): an error code only when a bearer token was sent. */
  challenge: string;
}

const authorizationProblem = (header: string | undefined, token: string): AuthProblem | undefined => {
  const hint = 'Send the header `Authorization: Bearer <token>` with the token `npm start` printed (API_TOKEN).';
  if (header === undefined || header.trim() === '') return { message: `The request has no Authorization header. ${hint}`, challenge: 'Bearer' };
  const [, scheme = '', credentials = ''] = /^\s*(\S*)\s*(.*?)\s*$/s.exec(header) ?? [];
  if (scheme.toLowerCase() !== 'bearer') {
    // The scheme is not echoed: a client that sent the bare token would read it back.
    return { message: `The Authorization header does not use the Bearer scheme. ${hint}`, challenge: 'Bearer' };
  }
  if (credentials === '') {
    return { message: `The Authorization header has no token after Bearer. ${hint}`, challenge: 'Bearer error="invalid_request"' };
  }
  // Compared as digests so the comparison takes the same time whatever the length of the guess.
  if (!timingSafeEqual(sha256(credentials), sha256(token))) {
    return { message: `The bearer token is not the one this server accepts. ${hint}`, challenge: 'Bearer error="invalid_token"' };
  }
  return undefined;
};

/**
 * The body, or 'too-large' as soon as it passes the cap (the rest is left unread); undefined when the client went
 * away mid-body. Events rather than for-await: leaving a for-await loop early destroys the request and its socket.
 */
const readBody = (request: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large' | undefined> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: Buffer | 'too-large' | undefined) => {
      request.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) settle('too-large');
      else chunks.push(chunk);
    };
    const onEnd = () => settle(Buffer.concat(chunks));
    const onGone = () => settle(undefined);
    request.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onGone);
  });

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
  /** Close the connection after this answer, because the request body was left (partly) unread. */
  close?: boolean;
}

const fromEnvelope = ({ statusCode, headers, body }: ErrorResponse, close = false): HttpAnswer => ({
  statusCode,
  headers,
  cookies: [],
  body: Buffer.from(body),
  ...(close ? { close } : {}),
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

/** One request and its answer. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  server: Server;
  requestId: string;
  /** Sent `Expect: 100-continue`: the client waits for `100 Continue` before it sends the body. */
  expectsContinue: boolean;
  /** 100 Continue went out. */
  continued: boolean;
}

/**
 * Ends the answer once the client has stopped sending (or after LINGER_MS), reading and dropping its bytes meanwhile.
 * The whole answer is already written, so the client can read it at once; Node closes the connection after the end.
 */
const endWhenClientStops = ({ request, response }: Exchange) => {
  const end = () => {
    clearTimeout(timer);
    request.off('end', end).off('close', end);
    if (!response.writableEnded) response.end();
  };
  const timer = setTimeout(end, LINGER_MS);
  request.once('end', end).once('close', end);
  request.resume();
};

const send = (exchange: Exchange, answer: HttpAnswer) => {
  const { request, response, server } = exchange;
  if (response.headersSent || response.destroyed) return;
  // A stopping server (server.close() was called) lets each connection go once it has answered.
  const close = answer.close === true || !server.listening;
  response.writeHead(answer.statusCode, {
    ...answer.headers,
    'content-length': answer.body.length,
    'apigw-requestid': exchange.requestId,
    ...(answer.cookies.length === 0 ? {} : { 'set-cookie': answer.cookies }),
    ...(close ? { connection: 'close' } : {}),
  });
  // A client still waiting for 100 Continue sends no body; Node closes such a connection after the answer itself.
  const bodyStillComing = close && !request.complete && (!exchange.expectsContinue || exchange.continued);
  if (!bodyStillComing) return void response.end(answer.body);
  response.write(answer.body);
  endWhenClientStops(exchange);
};

const handleRequest = async (exchange: Exchange, options: LocalServerOptions): Promise<{ answer?: HttpAnswer; route?: Route }> => {
  const { request, response } = exchange;
  if (request.httpVersion === '1.1' && request.headers.host === undefined) {
    return { answer: fromEnvelope(errorResponse('invalid_argument', 'An HTTP/1.1 request needs a Host header, such as `Host: localhost:3000`.'), true) };
  }
  const target = parseTarget(request.url ?? '');
  if (target === undefined) {
    return { answer: fromEnvelope(errorResponse('not_found', `No route for ${request.method} ${request.url}.`)) };
  }
  const { rawPath, rawQueryString } = target;

  // API Gateway answers an unknown route before any authorizer runs.
  const match = matchRoute(request.method ?? '', rawPath);
  if (match === undefined) {
    return { answer: fromEnvelope(errorResponse('not_found', `No route for ${request.method} ${rawPath}.`)) };
  }
  const { route, rawValue } = match;
  const headers = eventHeaders(request.rawHeaders);
  const authProblem = authorizationProblem(headers['authorization'], options.token);
  if (authProblem !== undefined) {
    const answer = fromEnvelope(errorResponse('unauthenticated', authProblem.message));
    return { route, answer: { ...answer, headers: { ...answer.headers, 'www-authenticate': authProblem.challenge } } };
  }

  let value: string;
  try {
    value = decodeURIComponent(rawValue);
  } catch {
    const message = `${route.parameter} in the path is not valid percent-encoded UTF-8; encode the value once with encodeURIComponent.`;
    return { route, answer: fromEnvelope(errorResponse('invalid_argument', message)) };
  }

  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tooLarge = `The request body is larger than ${maxBodyBytes} bytes; send {"externalId": "<new externalId>"}.`;
  // Refused before a byte of the body is read, and before 100 Continue invites the client to send it.
  const declaredLength = Number(request.headers['content-length'] ?? 0);
  if (declaredLength > maxBodyBytes) return { route, answer: fromEnvelope(errorResponse('invalid_argument', tooLarge, 413), true) };
  if (exchange.expectsContinue) {
    response.writeContinue();
    exchange.continued = true;
  }
  const body = await readBody(request, maxBodyBytes);
  if (body === undefined) return { route };
  if (body === 'too-large') return { route, answer: fromEnvelope(errorResponse('invalid_argument', tooLarge, 413), true) };

  const event = buildEvent({ request, route, value, rawPath, rawQueryString, headers, body, requestId: exchange.requestId });
  const context = lambdaContext(route.functionName, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return { route, answer: fromResult(await options[route.handler](event, context)) };
};

/** What a client whose bytes are not HTTP gets: Node's own answer, but with the error envelope as its body. */
const clientErrorAnswer = (error: NodeJS.ErrnoException & { reason?: string }): { status: number; message: string } => {
  switch (error.code) {
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'The request method is not valid; methods are case-sensitive: use PUT.' };
    case 'HPE_INVALID_URL':
      return {
        status: 400,
        message: 'The request target is not valid; percent-encode bytes other than printable ASCII (encodeURIComponent on the path value).',
      };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return { status: 400, message: 'The Content-Length header is not valid: send one, holding a decimal byte count, and no Transfer-Encoding with it.' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request headers are too large.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in full in time.' };
    default:
      return { status: 400, message: `The request is not valid HTTP/1.1 (${error.reason ?? error.message}).` };
  }
};

export const createLocalServer = (options: LocalServerOptions): Server => {
  /** Answers in progress per connection: a connection that has one cannot take a second, raw answer. */
  const answering = new WeakMap<Duplex, number>();

  const serve = (request: IncomingMessage, response: ServerResponse, expectsContinue: boolean) => {
    const started = Date.now();
    const exchange: Exchange = { request, response, server, requestId: randomUUID(), expectsContinue, continued: false };
    const socket = request.socket;
    answering.set(socket, (answering.get(socket) ?? 0) + 1);
    response.once('close', () => answering.set(socket, (answering.get(socket) ?? 1) - 1));

    const finish = (result: HttpAnswer | undefined, route?: Route) => {
      if (result === undefined) {
        options.log?.(`${request.method} ${request.url} closed before an answer`);
        return;
      }
      send(exchange, result);
      const where = route === undefined ? '' : ` [${route.functionName}]`;
      options.log?.(`${request.method} ${request.url} -> ${result.statusCode}${where} ${Date.now() - started} ms`);
    };
    handleRequest(exchange, options)
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
        send(exchange, INTERNAL('The function returned a response that cannot be sent over HTTP.'));
      });
  };

  // Node's check would answer a request without Host with an empty 400; handleRequest answers it in the envelope.
  const server = createServer({ requireHostHeader: false }, (request, response) => serve(request, response, false));
  // Listening for checkContinue stops Node from sending 100 Continue by itself: handleRequest sends it when it wants the body.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => serve(request, response, true));
  server.on('clientError', (error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    // A client that reset the connection, or one in the middle of an answer, gets nothing more.
    if (error.code === 'ECONNRESET' || !socket.writable || (answering.get(socket) ?? 0) > 0) return void socket.destroy();
    const { status, message } = clientErrorAnswer(error);
    const body = errorResponse('invalid_argument', message, status).body;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'content-type: application/json\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'connection: close\r\n\r\n' +
        body,
    );
    // Node stopped parsing this connection; drop whatever else the client sends, then let it go.
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
  return server;
};
