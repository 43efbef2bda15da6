import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { createLocalServer, type LambdaHttpHandler } from '../../local/server.js';

// Stub functions that record what the server hands them: the event and context must look like API Gateway's.
const TOKEN = 'stub-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const calls: { event: APIGatewayProxyEventV2WithJWTAuthorizer; context: Context }[] = [];
let next: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

const recording: LambdaHttpHandler = async (event, context) => {
  calls.push({ event: event as APIGatewayProxyEventV2WithJWTAuthorizer, context });
  return next(event);
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createLocalServer({ byId: recording, byExternalId: recording, token: TOKEN, maxBodyBytes: 64 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  calls.length = 0;
  next = async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' });
});

const lastEvent = () => {
  expect(calls).toHaveLength(1);
  return calls[0]!.event;
};

/** node:http keeps header casing and sends an array value as repeated headers. */
const rawPut = (path: string, headers: Record<string, string | string[]>, body?: Buffer) =>
  new Promise<number>((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method: 'PUT', headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });

describe('the payload 2.0 event', () => {
  it('carries the route, raw path and query, lowercased joined headers and a decoded path parameter', async () => {
    const status = await rawPut(
      '/v1/customers/external/caf%C3%A9%2520?b=1&a=2&b=3',
      { ...AUTH, 'Content-Type': 'application/json', 'X-Repeated': ['one', 'two'], Constructor: 'plain' },
      Buffer.from('{"externalId":"x"}'),
    );
    expect(status).toBe(200);
    const event = lastEvent();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'PUT /v1/customers/external/{customer_external_id}',
      rawPath: '/v1/customers/external/caf%C3%A9%2520',
      rawQueryString: 'b=1&a=2&b=3',
      queryStringParameters: { a: '2', b: '1,3' },
      pathParameters: { customer_external_id: 'café%20' },
      body: '{"externalId":"x"}',
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-repeated': 'one,two' });
    expect(event.headers['constructor']).toBe('plain');
    expect(Object.keys(event.headers).filter((name) => name !== name.toLowerCase())).toEqual([]);
    expect(event.requestContext).toMatchObject({
      routeKey: event.routeKey,
      stage: '$default',
      http: { method: 'PUT', path: event.rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      authorizer: { jwt: { claims: { sub: 'local' } } },
    });
    expect(event.requestContext.requestId).toEqual(expect.any(String));
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(10_000);
  });

  it('names the by-id route', async () => {
    await rawPut('/v1/customers/42', AUTH, Buffer.from('{}'));
    expect(lastEvent()).toMatchObject({ routeKey: 'PUT /v1/customers/{customer_id}', pathParameters: { customer_id: '42' } });
  });

  it('sends a body that is not UTF-8 base64-encoded and flagged', async () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xc3, 0x7d]);
    await rawPut('/v1/customers/42', AUTH, bytes);
    const event = lastEvent();
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('leaves the body out when there is none', async () => {
    await rawPut('/v1/customers/42', AUTH);
    const event = lastEvent();
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  it('comes with a Lambda context that has a request id and time left', async () => {
    await rawPut('/v1/customers/42', AUTH);
    const { context } = calls[0]!;
    expect(context.awsRequestId).toEqual(expect.any(String));
    expect(context.functionName).toBe('rename-by-id');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(1_000);
  });
});

describe('answers', () => {
  it('writes the function status, headers and body back', async () => {
    next = async () => ({ statusCode: 201, headers: { 'X-Custom': 'yes', 'content-type': 'text/plain' }, body: 'created' });
    const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-custom')).toBe('yes');
    expect(await response.text()).toBe('created');
  });

  it('treats a bare string result as a 200 JSON body, as API Gateway does', async () => {
    next = async () => '{"plain":true}';
    const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ plain: true });
  });

  it.each([
    ['throws', async () => Promise.reject(new Error('boom'))],
    ['returns an invalid status', async () => ({ statusCode: 42 })],
    ['returns a header HTTP cannot carry', async () => ({ statusCode: 200, headers: { 'x-broken': 'line\nbreak' }, body: '' })],
  ])('answers 500 internal when the function %s, and keeps serving', async (_, failing) => {
    next = failing as typeof next;
    // The server logs the failure; keep the test output quiet.
    const consoleError = console.error;
    console.error = () => undefined;
    try {
      const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH });
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ code: 'internal' });
    } finally {
      console.error = consoleError;
    }
    next = async () => ({ statusCode: 204 });
    expect((await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH })).status).toBe(204);
  });
});

describe('client aborts', () => {
  it('survives a client that leaves mid-body, without calling the function', async () => {
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${base}/v1/customers/42`, { method: 'PUT', headers: { ...AUTH, 'Content-Length': '50' } });
      request.on('error', () => resolve());
      request.write('{"externalId":', () => setTimeout(() => request.destroy(), 20));
      request.on('close', () => resolve());
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toHaveLength(0);
    expect((await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH })).status).toBe(200);
  });

  it('survives a client that leaves while the function runs', async () => {
    let finish: () => void = () => undefined;
    next = () => new Promise((resolve) => (finish = () => resolve({ statusCode: 200, body: 'late' })));
    const controller = new AbortController();
    const aborted = fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH, signal: controller.signal }).catch((error: Error) => error.name);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await aborted).toBe('AbortError');
    finish();
    next = async () => ({ statusCode: 204 });
    expect((await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH })).status).toBe(204);
  });

  it('answers 413 to a body over the cap while the client is still sending', async () => {
    const response = await fetch(`${base}/v1/customers/42`, { method: 'PUT', headers: AUTH, body: 'x'.repeat(65) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'invalid_argument' });
    expect(calls).toHaveLength(0);
  });
});
