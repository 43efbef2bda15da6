import { createRenameByExternalIdHandler } from '../../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { recordCommands } from '../support/command-log.js';
import { aCustomer } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { byExternalIdEvent, byIdEvent, invoke } from '../support/events.js';

let table: TestTable;
let commands: string[];
let byExternalId: ReturnType<typeof createRenameByExternalIdHandler>;
let byId: ReturnType<typeof createRenameByIdHandler>;
const customer = aCustomer();

beforeAll(async () => {
  table = await createTestTable();
  await table.put(customer);
  const client = createDocumentClient({ endpoint: table.endpoint });
  commands = recordCommands(client);
  const dependencies = { repository: createCustomerRepository(client, table.tableName) };
  byExternalId = createRenameByExternalIdHandler(dependencies);
  byId = createRenameByIdHandler(dependencies);
});
afterAll(() => table.drop());
beforeEach(() => commands.splice(0));

// Every refusal must leave the table exactly as it was and cost no DynamoDB call at all.
afterEach(async () => {
  expect(commands).toEqual([]);
  expect(await table.scan()).toHaveLength(2);
});

const forms = [
  ['by externalId', (body?: string, headers?: Record<string, string>, isBase64Encoded?: boolean) =>
    invoke(byExternalId, byExternalIdEvent(customer.externalId, body, { ...(headers ? { headers } : {}), ...(isBase64Encoded ? { isBase64Encoded } : {}) }))],
  ['by id', (body?: string, headers?: Record<string, string>, isBase64Encoded?: boolean) =>
    invoke(byId, byIdEvent(customer.id, body, { ...(headers ? { headers } : {}), ...(isBase64Encoded ? { isBase64Encoded } : {}) }))],
] as const;

const badBodies: [string, string | undefined, RegExp][] = [
  ['no body', undefined, /body is required/],
  ['an empty body', '', /body is required/],
  ['malformed JSON', '{"externalId": ', /not valid JSON/],
  ['a JSON string', '"ext-new"', /must be a JSON object.*it was a string/],
  ['a JSON array', '["ext-new"]', /must be a JSON object.*it was an array/],
  ['JSON null', 'null', /must be a JSON object.*it was null/],
  ['a JSON number', '42', /must be a JSON object.*it was a number/],
  ['no externalId', '{}', /externalId is required/],
  ['a null externalId', '{"externalId": null}', /externalId must be a string; it was null/],
  ['a numeric externalId', '{"externalId": 42}', /externalId must be a string; it was a number/],
  ['an object externalId', '{"externalId": {"value": "x"}}', /externalId must be a string; it was an object/],
  ['an empty externalId', '{"externalId": ""}', /externalId must not be empty/],
  ['a blank externalId', '{"externalId": "   "}', /externalId must not be blank/],
  ['a leading space', '{"externalId": " ext-new"}', /must not start or end with whitespace/],
  ['a trailing tab', '{"externalId": "ext-new\\t"}', /control.*U\+0009/],
  ['a trailing no-break space', '{"externalId": "ext-new\\u00a0"}', /must not start or end with whitespace/],
  ['51 code points', JSON.stringify({ externalId: 'x'.repeat(51) }), /at most 50 characters.*it has 51/],
  ['51 astral code points', JSON.stringify({ externalId: '😀'.repeat(51) }), /at most 50 characters.*it has 51/],
  ['a NUL', '{"externalId": "ext\\u0000new"}', /control.*U\+0000 at position 4/],
  ['a newline', '{"externalId": "ext\\nnew"}', /U\+000A/],
  ['a DEL', '{"externalId": "ext\\u007fnew"}', /U\+007F/],
  ['a zero-width space', '{"externalId": "ext\\u200bnew"}', /format.*U\+200B/],
  ['a right-to-left override', '{"externalId": "ext\\u202enew"}', /U\+202E/],
  ['a byte order mark', '{"externalId": "\\ufeffext-new"}', /U\+FEFF/],
  ['a line separator', '{"externalId": "ext\\u2028new"}', /U\+2028/],
  ['a lone high surrogate', '{"externalId": "ext\\ud800new"}', /unpaired surrogate \(U\+D800\)/],
  ['a lone low surrogate', '{"externalId": "ext\\udc00"}', /unpaired surrogate \(U\+DC00\)/],
  ['a Hangul filler', '{"externalId": "\\u3164"}', /invisible characters; found U\+3164 at position 1/],
  ['a combining grapheme joiner', '{"externalId": "a\\u034fb"}', /invisible characters; found U\+034F at position 2/],
  ['only blank Braille patterns', '{"externalId": "\\u2800\\u2800"}', /must not be blank/],
  ['a leading combining mark', '{"externalId": "\\u0301abc"}', /must not start with a combining mark \(U\+0301\)/],
  ['a decomposed é (not NFC)', '{"externalId": "cafe\\u0301"}', /normalization form NFC.*send "caf\u00e9" instead/],
  ['another field', '{"externalId": "ext-new", "mobileNo": "+1555"}', /Only externalId can be changed.*"mobileNo".*close the customer and create a new one/],
  ['only another field', '{"firstname": "Ada"}', /Only externalId can be changed.*"firstname"/],
  ['JSON nested deeper than can be read', `{"externalId": "x", "a": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`, /nested too deeply/],
  ['a __proto__ key', '{"externalId": "ext-new", "__proto__": {"admin": true}}', /must not contain the key "__proto__"/],
  ['a nested constructor.prototype', '{"externalId": "ext-new", "constructor": {"prototype": {}}}', /must not contain the key "constructor"/],
];

describe.each(forms)('a request %s', (_form, send) => {
  it.each(badBodies)('with %s gets 400 invalid_argument', async (_case, body, message) => {
    const result = await send(body);

    expect(result.statusCode).toBe(400);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.body).toEqual({ code: 'invalid_argument', message: expect.stringMatching(message) });
  });

  it.each([
    ['no Content-Type', { authorization: 'Bearer t' }],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['application/xml', { 'content-type': 'application/xml' }],
    ['application/jsonp', { 'content-type': 'application/jsonp' }],
    ['form data', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a gzip Content-Encoding', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
  ])('with %s gets 415 invalid_argument', async (_case, headers) => {
    const result = await send('{"externalId": "ext-new"}', headers);

    expect(result.statusCode).toBe(415);
    expect(result.body).toEqual({ code: 'invalid_argument', message: expect.stringMatching(/^Content-(Type must be application\/json|Encoding "gzip" is not supported)/) });
  });
});

describe.each(forms)('a request %s is accepted with', (_form, send) => {
  // Accepted requests name the current value, so they succeed without a write and the table stays put.
  const sameValue = JSON.stringify({ externalId: customer.externalId });
  it.each([
    ['application/json; charset=utf-8', { 'content-type': 'application/json; charset=utf-8' }],
    ['application/merge-patch+json', { 'content-type': 'application/merge-patch+json' }],
    ['whitespace before the parameters', { 'content-type': 'application/json ; charset=utf-8' }],
    ['Content-Type spelled in capitals', { 'CONTENT-TYPE': 'APPLICATION/JSON' }],
    ['Content-Type in mixed case', { 'Content-type': 'application/json' }],
  ])('%s', async (_case, headers) => {
    const result = await send(sameValue, headers);
    commands.splice(0);

    expect(result.statusCode).toBe(200);
  });

  it('a body that starts with a byte order mark', async () => {
    const result = await send(`\uFEFF${sameValue}`);
    commands.splice(0);

    expect(result.statusCode).toBe(200);
  });

  it('a base64-encoded body', async () => {
    const result = await send(Buffer.from(sameValue).toString('base64'), undefined, true);
    commands.splice(0);

    expect(result.statusCode).toBe(200);
  });
});

describe('the customer_id in the path', () => {
  it.each(['0', '-1', '+1', '01', '1.0', '1e3', ' 1', '1 ', '0x1F', 'abc', '', '9223372036854775808', '99999999999999999999', '４２'])(
    '%j gets 400 invalid_argument',
    async (id) => {
      const result = await invoke(byId, byIdEvent(id, '{"externalId": "ext-new"}'));

      expect(result.statusCode).toBe(400);
      expect(result.body).toEqual({
        code: 'invalid_argument',
        message: 'customer_id in the path must be a positive decimal integer without sign or leading zeros, at most 9223372036854775807.',
      });
    },
  );
});

describe('the externalId in the path', () => {
  it.each([
    ['empty', '', /must not be empty/],
    ['blank', '  ', /must not be blank/],
    ['padded', ' ext-a', /must not start or end with whitespace/],
    ['too long', 'e'.repeat(51), /at most 50 characters/],
    ['with a NUL', 'ext\u0000a', /U\+0000/],
    ['with a zero-width joiner', 'ext\u200da', /U\+200D/],
    ['with a lone surrogate', 'ext\ud83d', /unpaired surrogate/],
  ])('%s gets 400 invalid_argument naming the path parameter', async (_case, externalId, message) => {
    const result = await invoke(byExternalId, byExternalIdEvent(externalId, '{"externalId": "ext-new"}'));

    expect(result.statusCode).toBe(400);
    expect(result.body).toEqual({ code: 'invalid_argument', message: expect.stringMatching(/^customer_external_id in the path/) });
    expect((result.body as { message: string }).message).toMatch(message);
  });
});

describe('a base64-encoded body', () => {
  it('that is not valid UTF-8 gets 400 invalid_argument, not a replacement character stored', async () => {
    const bytes = Buffer.concat([Buffer.from('{"externalId": "ext-'), Buffer.from([0xff]), Buffer.from('"}')]);

    const result = await invoke(byId, byIdEvent(customer.id, bytes.toString('base64'), { isBase64Encoded: true }));

    expect(result.statusCode).toBe(400);
    expect(result.body).toEqual({ code: 'invalid_argument', message: 'The request body is not valid UTF-8 text.' });
  });

  it('that decodes to nothing gets 400 invalid_argument', async () => {
    const result = await invoke(byId, byIdEvent(customer.id, '', { isBase64Encoded: true }));

    expect(result.statusCode).toBe(400);
    expect(result.body).toEqual({ code: 'invalid_argument', message: expect.stringMatching(/body is required/) });
  });
});
