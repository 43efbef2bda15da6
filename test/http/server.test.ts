import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRenameByExternalIdHandler } from '../../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import { createLocalServer } from '../../local/server.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { aCustomer, ada, SEED_RESPONSE } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

const TOKEN = 'test-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const JSON_REQUEST = { ...AUTH, 'Content-Type': 'application/json' };
const MAX_BODY_BYTES = 1024 * 1024;

let table: TestTable;
let server: Server;
let base: string;

beforeAll(async () => {
  table = await createTestTable();
  const repository = createCustomerRepository(table.client, table.tableName);
  server = createLocalServer({
    byId: createRenameByIdHandler({ repository }),
    byExternalId: createRenameByExternalIdHandler({ repository }),
    token: TOKEN,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await table.drop();
});

const put = (path: string, body?: string | Uint8Array, headers: Record<string, string> = JSON_REQUEST) =>
  fetch(`${base}${path}`, { method: 'PUT', headers, ...(body === undefined ? {} : { body }) });

const renameBody = (externalId: string) => JSON.stringify({ externalId });

const expectEnvelope = async (response: Response, status: number, code: string) => {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'message']);
  expect(body['code']).toBe(code);
  expect(body['message']).toEqual(expect.stringMatching(/\S/));
  return body['message'] as string;
};

/** node:http sends header names exactly as given; fetch lowercases them. */
const rawPut = (path: string, headers: Record<string, string>, body: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method: 'PUT', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body);
  });

describe('the seed page examples', () => {
  beforeAll(() => table.put(ada()));

  it('renames by current externalId and answers the documented body', async () => {
    const response = await put('/v1/customers/external/ext-ada-001', '{"externalId": "ext-ada-002"}');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(JSON.parse(SEED_RESPONSE));
  });

  it('answers the same body by LMS id once the rename is done', async () => {
    const response = await put('/v1/customers/42', '{"externalId": "ext-ada-002"}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(SEED_RESPONSE));
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', { 'Content-Type': 'application/json' }],
    ['a wrong token', { 'Content-Type': 'application/json', Authorization: 'Bearer not-the-token' }],
    ['another scheme', { 'Content-Type': 'application/json', Authorization: `Basic ${TOKEN}` }],
    ['the scheme alone', { 'Content-Type': 'application/json', Authorization: 'Bearer' }],
  ])('refuses %s with 401 unauthenticated and a Bearer challenge', async (_, headers) => {
    const response = await put('/v1/customers/42', renameBody('ext-x'), headers);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    const message = await expectEnvelope(response, 401, 'unauthenticated');
    expect(message).toContain('Authorization: Bearer <token>');
    expect(message).not.toContain(TOKEN);
  });

  it('accepts the scheme in any case', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const response = await put(`/v1/customers/${customer.id}`, renameBody(`${customer.externalId}-b`), {
      Authorization: `bEaReR ${TOKEN}`,
      'Content-Type': 'application/json',
    });
    expect(response.status).toBe(200);
  });
});

describe('routing', () => {
  it.each([
    '/',
    '/v1/customers',
    '/v1/customers/',
    '/v1/customers/42/',
    '/v1/customers/42/extra',
    '/v1/customers/external/',
    '/v1/customers/external/ext-ada-002/',
    '/v1/customers/external/a/b',
    '/V1/customers/42',
    '/v1//customers/42',
  ])('answers 404 not_found for PUT %s, before any token check', async (path) => {
    await expectEnvelope(await put(path, renameBody('ext-x'), { 'Content-Type': 'application/json' }), 404, 'not_found');
  });

  it.each(['GET', 'POST', 'PATCH', 'DELETE'])('answers 404 not_found for %s on a PUT route', async (method) => {
    const response = await fetch(`${base}/v1/customers/42`, { method, headers: AUTH });
    await expectEnvelope(response, 404, 'not_found');
  });

  it('reads /v1/customers/external as the by-id route with id "external", as API Gateway would', async () => {
    const message = await expectEnvelope(await put('/v1/customers/external', renameBody('ext-x')), 400, 'invalid_argument');
    expect(message).toContain('customer_id');
  });

  it('passes the handler answers through: 404 for an unknown customer, 409 for a taken externalId', async () => {
    await expectEnvelope(await put('/v1/customers/external/nobody-has-this', renameBody('ext-x')), 404, 'not_found');
    const [first, second] = [aCustomer(), aCustomer()];
    await table.put(first, second);
    await expectEnvelope(await put(`/v1/customers/${first.id}`, renameBody(second.externalId)), 409, 'aborted');
  });
});

describe('path parameters', () => {
  it.each([
    ['a space', 'ext a b', 'ext%20a%20b'],
    ['a slash', 'ext/with/slash', 'ext%2Fwith%2Fslash'],
    ['an accent', 'café-01', 'caf%C3%A9-01'],
    ['a percent sign', 'pct%25', 'pct%2525'],
  ])('decodes %s once', async (_, externalId, encoded) => {
    const customer = aCustomer({ externalId });
    await table.put(customer);
    const response = await put(`/v1/customers/external/${encoded}`, renameBody(`${customer.id}-renamed`));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: customer.id, externalId: `${customer.id}-renamed` });
  });

  it('refuses a malformed percent-encoding with 400 invalid_argument', async () => {
    const message = await expectEnvelope(await put('/v1/customers/external/%E0%A4%A', renameBody('ext-x')), 400, 'invalid_argument');
    expect(message).toContain('customer_external_id');
  });

  it('asks for the token before it looks at the path value', async () => {
    await expectEnvelope(await put('/v1/customers/external/%E0%A4%A', renameBody('ext-x'), {}), 401, 'unauthenticated');
  });
});

describe('request bodies and headers', () => {
  it('refuses a body that is not UTF-8 with 400 invalid_argument, not 500', async () => {
    const body = new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]);
    await expectEnvelope(await put('/v1/customers/42', body), 400, 'invalid_argument');
  });

  // A lenient decoder would turn the bad byte into U+FFFD and store it in the externalId.
  it('refuses invalid UTF-8 inside the new externalId', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const body = Buffer.concat([Buffer.from('{"externalId": "ext-'), Buffer.from([0xff]), Buffer.from('"}')]);
    await expectEnvelope(await put(`/v1/customers/${customer.id}`, body), 400, 'invalid_argument');
  });

  it('accepts header names in any case', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const response = await rawPut(
      `/v1/customers/${customer.id}`,
      { 'CONTENT-TYPE': 'application/json', AUTHORIZATION: `Bearer ${TOKEN}` },
      renameBody(`${customer.externalId}-c`),
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ externalId: `${customer.externalId}-c` });
  });

  it('refuses text/plain with 415', async () => {
    await expectEnvelope(await put('/v1/customers/42', renameBody('ext-x'), { ...AUTH, 'Content-Type': 'text/plain' }), 415, 'invalid_argument');
  });

  it('refuses a body over the cap with 413, and reads one at the cap', async () => {
    const atCap = `{"externalId":"${'a'.repeat(MAX_BODY_BYTES - 17)}"}`;
    expect(Buffer.byteLength(atCap)).toBe(MAX_BODY_BYTES);
    await expectEnvelope(await put('/v1/customers/42', atCap), 400, 'invalid_argument');
    await expectEnvelope(await put('/v1/customers/42', `${atCap} `), 413, 'invalid_argument');
  });
});
