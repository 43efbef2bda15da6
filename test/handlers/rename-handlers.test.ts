import { jest } from '@jest/globals';
import { createRenameByExternalIdHandler } from '../../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { recordCommands } from '../support/command-log.js';
import { aCustomer, ada, SEED_RESPONSE } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { byExternalIdEvent, byIdEvent, invoke, lambdaContext } from '../support/events.js';
import { startSilentServer } from '../support/silent-server.js';

let table: TestTable;
let commands: string[];
let byExternalId: ReturnType<typeof createRenameByExternalIdHandler>;
let byId: ReturnType<typeof createRenameByIdHandler>;

beforeAll(async () => {
  table = await createTestTable();
  const client = createDocumentClient({ endpoint: table.endpoint });
  commands = recordCommands(client);
  const dependencies = { repository: createCustomerRepository(client, table.tableName) };
  byExternalId = createRenameByExternalIdHandler(dependencies);
  byId = createRenameByIdHandler(dependencies);
});
afterAll(() => table.drop());
beforeEach(() => commands.splice(0));

const body = (externalId: string) => JSON.stringify({ externalId });

describe('the seed page examples', () => {
  it('renames ext-ada-001 to ext-ada-002 by externalId and answers exactly the documented body', async () => {
    await table.put(ada());

    const result = await invoke(byExternalId, byExternalIdEvent('ext-ada-001', '{"externalId": "ext-ada-002"}'));

    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.body).toEqual(JSON.parse(SEED_RESPONSE));
    expect(Object.keys(result.body as object)).toEqual(Object.keys(JSON.parse(SEED_RESPONSE)));
  });

  it('answers the same body by LMS id, now that the rename has happened, and writes nothing', async () => {
    const result = await invoke(byId, byIdEvent('42', '{"externalId": "ext-ada-002"}'));

    expect(result.statusCode).toBe(200);
    expect(result.body).toEqual(JSON.parse(SEED_RESPONSE));
    expect(commands).toEqual(['GetItemCommand']);
  });
});

describe.each([
  ['by externalId', () => byExternalId, (customer: { externalId: string }, value: string) => byExternalIdEvent(customer.externalId, body(value))],
  ['by id', () => byId, (customer: { id: string }, value: string) => byIdEvent(customer.id, body(value))],
])('rename %s', (_form, handler, event) => {
  it('includes middlename, mobileNo and emailAddress when the customer has them, and no storage attributes', async () => {
    const customer = aCustomer({ middlename: 'Byron', mobileNo: '+15550101', emailAddress: 'x@example.com' });
    await table.put(customer);

    const result = await invoke(handler(), event(customer, `${customer.externalId}-new`));

    expect(result.statusCode).toBe(200);
    expect(result.body).toEqual({
      ...customer,
      externalId: `${customer.externalId}-new`,
      firstname: `${customer.externalId}-new`,
      displayName: `${customer.externalId}-new Byron Customer`,
    });
    expect(Object.keys(result.body as object)).toEqual([
      'id', 'accountNo', 'externalId', 'status', 'active', 'officeId', 'officeName',
      'firstname', 'middlename', 'lastname', 'displayName', 'activationDate', 'mobileNo', 'emailAddress',
    ]);
  });

  it('renames a closed customer and leaves its status alone', async () => {
    const closed = aCustomer({ status: 'Closed', active: false });
    await table.put(closed);

    const result = await invoke(handler(), event(closed, `${closed.externalId}-closed`));

    expect(result.statusCode).toBe(200);
    expect(result.body).toMatchObject({ status: 'Closed', active: false, externalId: `${closed.externalId}-closed` });
  });

  it('answers 200 with the unchanged customer and sends no write for the same value', async () => {
    const customer = aCustomer();
    await table.put(customer);

    const result = await invoke(handler(), event(customer, customer.externalId));

    expect(result).toMatchObject({ statusCode: 200, body: customer });
    expect(commands).not.toContain('TransactWriteItemsCommand');
  });

  it('answers 409 aborted when another customer holds the new externalId, and changes neither', async () => {
    const customer = aCustomer();
    const holder = aCustomer();
    await table.put(customer, holder);

    const result = await invoke(handler(), event(customer, holder.externalId));

    expect(result.statusCode).toBe(409);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.body).toEqual({
      code: 'aborted',
      message: `externalId "${holder.externalId}" is already held by another customer; choose a different externalId.`,
    });
    const items = await table.scan();
    expect(items).toContainEqual(expect.objectContaining({ pk: `CUSTOMER#${customer.id}`, externalId: customer.externalId }));
    expect(items).toContainEqual(expect.objectContaining({ pk: `CUSTOMER#${holder.id}`, externalId: holder.externalId }));
    expect(items).toContainEqual(expect.objectContaining({ pk: `EXTERNAL_ID#${holder.externalId}`, customerId: holder.id }));
  });
});

describe('not found', () => {
  it('answers 404 for an unknown externalId', async () => {
    const result = await invoke(byExternalId, byExternalIdEvent('ext-nobody', body('ext-x')));

    expect(result).toEqual({
      statusCode: 404,
      headers: { 'content-type': 'application/json' },
      body: { code: 'not_found', message: 'No customer with externalId "ext-nobody".' },
    });
    expect(commands).not.toContain('TransactWriteItemsCommand');
  });

  it('answers 404 for an unknown id', async () => {
    const result = await invoke(byId, byIdEvent('9223372036854775807', body('ext-x')));

    expect(result.statusCode).toBe(404);
    expect(result.body).toEqual({ code: 'not_found', message: 'No customer with id 9223372036854775807.' });
  });
});

describe('database failures', () => {
  it('answers 500 internal without revealing the table, the SDK exception or a stack', async () => {
    const broken = createRenameByIdHandler({ repository: createCustomerRepository(table.client, 'secret-table-name') });
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    const result = await invoke(broken, byIdEvent('42', body('ext-x')));

    expect(result.statusCode).toBe(500);
    expect(result.body).toEqual({ code: 'internal', message: expect.any(String) });
    const text = JSON.stringify(result.body);
    for (const secret of ['secret-table-name', 'ResourceNotFound', 'Exception', ' at ', '.ts']) expect(text).not.toContain(secret);
    expect(errors).toHaveBeenCalledTimes(1);
    errors.mockRestore();
  });

  it('answers 503 unavailable before the Lambda deadline when DynamoDB hangs', async () => {
    const silent = await startSilentServer();
    const client = createDocumentClient({ endpoint: silent.endpoint, region: 'us-east-1' });
    const hung = createRenameByIdHandler({ repository: createCustomerRepository(client, table.tableName) });
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const deadline = Date.now() + 1_500;
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => deadline - Date.now() };

    try {
      const result = (await hung(byIdEvent('42', body('ext-x')), context)) as { statusCode: number; body: string };

      expect(result.statusCode).toBe(503);
      expect(JSON.parse(result.body)).toEqual({ code: 'unavailable', message: expect.stringContaining('Retry') });
      expect(Date.now()).toBeLessThan(deadline);
    } finally {
      errors.mockRestore();
      client.destroy();
      await silent.close();
    }
  });

  it('answers 503 unavailable when DynamoDB cannot be reached', async () => {
    const client = createDocumentClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1' });
    const offline = createRenameByExternalIdHandler({ repository: createCustomerRepository(client, table.tableName) });
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    const result = await invoke(offline, byExternalIdEvent('ext-ada-001', body('ext-x')));

    expect(result.statusCode).toBe(503);
    expect(result.body).toEqual({ code: 'unavailable', message: expect.stringContaining('Retry') });
    expect(JSON.stringify(result.body)).not.toContain('127.0.0.1');
    errors.mockRestore();
    client.destroy();
  });
});
