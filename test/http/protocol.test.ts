import { request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createLocalServer, parseTarget, type LambdaHttpHandler } from '../../local/server.js';

// HTTP-level behaviour of the local server, with stub functions: oversized bodies, malformed requests, request targets.
const TOKEN = 'protocol-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const MAX_BODY_BYTES = 1024 * 1024;
const TWENTY_MB = 20 * 1024 * 1024;

const events: APIGatewayProxyEventV2[] = [];
const recording: LambdaHttpHandler = async (event) => {
  events.push(event);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routeKey: event.routeKey }) };
};

let server: Server;
let port: number;
let base: string;

beforeAll(async () => {
  server = createLocalServer({ byId: recording, byExternalId: recording, token: TOKEN, maxBodyBytes: MAX_BODY_BYTES });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  events.length = 0;
});

const expectEnvelope = async (response: Response, status: number, code: string) => {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'message']);
  expect(body['code']).toBe(code);
  return body['message'] as string;
};

const stillServing = async () => {
  const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH, body: '{}' });
  expect(response.status).toBe(200);
};

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, interim answers included. */
  text: string;
}

/** Sends bytes on a fresh connection and reads until the server closes it. */
const rawExchange = (bytes: string | Buffer, { end = false } = {}) =>
  new Promise<RawAnswer>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => (end ? socket.end(bytes) : socket.write(bytes)));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ statusLine, headers, body, text });
    });
  });

const expectRawEnvelope = (answer: RawAnswer, statusLine: string, code: string) => {
  expect(answer.statusLine).toBe(statusLine);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers['connection']?.toLowerCase()).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'message']);
  expect(body['code']).toBe(code);
  return body['message'] as string;
};

describe('401 answers', () => {
  it.each([
    ['no Authorization header', {}, 'Bearer'],
    ['another scheme', { Authorization: `Basic ${TOKEN}` }, 'Bearer'],
    ['the scheme alone', { Authorization: 'Bearer' }, 'Bearer error="invalid_request"'],
    ['a wrong token', { Authorization: 'Bearer not-it' }, 'Bearer error="invalid_token"'],
  ])('carry a WWW-Authenticate Bearer challenge for %s', async (_, headers, challenge) => {
    const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers, body: '{}' });
    expect(response.headers.get('www-authenticate')).toBe(challenge);
    await expectEnvelope(response, 401, 'unauthenticated');
  });

  it('do not echo a bare token sent without a scheme', async () => {
    const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: { Authorization: 'my-secret-guess' }, body: '{}' });
    const message = await expectEnvelope(response, 401, 'unauthenticated');
    expect(message).toContain('does not use the Bearer scheme');
    expect(message).not.toContain('my-secret-guess');
  });

  it('accept a tab between the scheme and the token', async () => {
    const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: { Authorization: `Bearer\t${TOKEN}` }, body: '{}' });
    expect(response.status).toBe(200);
  });
});

describe('bodies over the cap', () => {
  it('answers 413 to a 20 MB body with Content-Length, without calling the function', async () => {
    const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH, body: Buffer.alloc(TWENTY_MB, 'x') });
    expect(response.headers.get('connection')).toBe('close');
    expect(await expectEnvelope(response, 413, 'invalid_argument')).toContain(String(MAX_BODY_BYTES));
    expect(events).toHaveLength(0);
    await stillServing();
  });

  it('answers 413 to a 20 MB chunked body as soon as it passes the cap', async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= TWENTY_MB) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const init = { method: 'PUT', headers: AUTH, body, duplex: 'half' } as RequestInit;
    const response = await fetch(`${base}/v1/customers/42`, init);
    expect(response.headers.get('connection')).toBe('close');
    await expectEnvelope(response, 413, 'invalid_argument');
    expect(events).toHaveLength(0);
    await stillServing();
  });

  it('answers 413 to a 20 MB body sent with node:http', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.end(Buffer.alloc(TWENTY_MB, 'x'));
    });
    expect(status).toBe(413);
  });

  it('answers 413 instead of 100 Continue when the announced length is over the cap', async () => {
    const answer = await rawExchange(
      `PUT /v1/customers/42 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Length: ${TWENTY_MB}\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(answer.text).not.toContain('100 Continue');
    expectRawEnvelope(answer, 'HTTP/1.1 413 Payload Too Large', 'invalid_argument');
    expect(events).toHaveLength(0);
  });

  it('still sends 100 Continue for a body within the cap', async () => {
    const result = await new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
      let continued = false;
      const request = httpRequest(
        `${base}/v1/customers/42`,
        { method: 'PUT', headers: { ...AUTH, 'Content-Length': '2', Expect: '100-continue' } },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ continued, status: response.statusCode ?? 0 }));
        },
      );
      request.on('continue', () => {
        continued = true;
        request.end('{}');
      });
      request.on('error', reject);
    });
    expect(result).toEqual({ continued: true, status: 200 });
  });
});

describe('requests Node refuses to parse', () => {
  it.each([
    ['a lowercase method', 'put /v1/customers/42 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n', 'PUT'],
    [
      'raw non-ASCII bytes in the path',
      Buffer.concat([Buffer.from('PUT /v1/customers/external/caf'), Buffer.from([0xc3, 0xa9]), Buffer.from(' HTTP/1.1\r\nHost: localhost\r\n\r\n')]),
      'percent-encode',
    ],
    ['a Content-Length that is not a number', 'PUT /v1/customers/42 HTTP/1.1\r\nHost: localhost\r\nContent-Length: ten\r\n\r\n', 'Content-Length'],
    ['two Content-Lengths', 'PUT /v1/customers/42 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'Content-Length'],
  ])('answer %s with a 400 invalid_argument envelope', async (_, bytes, hint) => {
    const message = expectRawEnvelope(await rawExchange(bytes), 'HTTP/1.1 400 Bad Request', 'invalid_argument');
    expect(message).toContain(hint);
    expect(events).toHaveLength(0);
  });

  it('answers a request without Host with a 400 invalid_argument envelope', async () => {
    const answer = await rawExchange(`PUT /v1/customers/42 HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 2\r\n\r\n{}`);
    expect(expectRawEnvelope(answer, 'HTTP/1.1 400 Bad Request', 'invalid_argument')).toContain('Host');
    expect(events).toHaveLength(0);
  });

  it('keeps serving after them', stillServing);
});

describe('request targets', () => {
  const absolute = (target: string) =>
    rawExchange(
      `PUT ${target} HTTP/1.1\r\nHost: localhost:3000\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    );

  it('routes an absolute-form target like the origin form', async () => {
    const answer = await absolute('http://localhost:3000/v1/customers/42?a=1&b=2');
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      routeKey: 'PUT /v1/customers/{customer_id}',
      rawPath: '/v1/customers/42',
      rawQueryString: 'a=1&b=2',
      pathParameters: { customer_id: '42' },
      requestContext: { http: { path: '/v1/customers/42' } },
    });
  });

  it('keeps the raw percent-encoded path of an absolute-form target', async () => {
    const answer = await absolute('HTTP://LOCALHOST:3000/v1/customers/external/caf%C3%A9%2Fx');
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    expect(events[0]).toMatchObject({
      routeKey: 'PUT /v1/customers/external/{customer_external_id}',
      rawPath: '/v1/customers/external/caf%C3%A9%2Fx',
      pathParameters: { customer_external_id: 'café/x' },
    });
  });

  it('answers 404 for an absolute-form target off the routes', async () => {
    const answer = await absolute('http://localhost:3000/v1/customers');
    expect(answer.statusLine).toBe('HTTP/1.1 404 Not Found');
    expect(events).toHaveLength(0);
  });

  it.each([
    ['/v1/customers/42', { rawPath: '/v1/customers/42', rawQueryString: '' }],
    ['/v1/customers/42?x=1&y', { rawPath: '/v1/customers/42', rawQueryString: 'x=1&y' }],
    ['/v1/customers/external/%2e%2e', { rawPath: '/v1/customers/external/%2e%2e', rawQueryString: '' }],
    ['//v1/customers/42', { rawPath: '//v1/customers/42', rawQueryString: '' }],
    ['http://localhost:3000/v1/customers/42?x=1', { rawPath: '/v1/customers/42', rawQueryString: 'x=1' }],
    ['https://example.test/v1/customers/a%20b', { rawPath: '/v1/customers/a%20b', rawQueryString: '' }],
    ['http://localhost:3000', { rawPath: '/', rawQueryString: '' }],
    ['http://localhost:3000?x=1', { rawPath: '/', rawQueryString: 'x=1' }],
    ['*', undefined],
    ['localhost:3000', undefined],
    ['ftp://localhost/v1/customers/42', undefined],
  ])('parseTarget(%s)', (target, expected) => {
    expect(parseTarget(target)).toEqual(expected);
  });
});
