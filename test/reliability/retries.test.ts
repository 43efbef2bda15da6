import { jest } from '@jest/globals';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import type { RetryPolicy } from '../../shared/customers/rename.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { aCustomer } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { byIdEvent, invoke } from '../support/events.js';
import { injectFaults, serviceError, type Fault } from '../support/inject-faults.js';

// DynamoDB Local never throttles and rarely conflicts on demand, so these faults are injected into the SDK
// client; everything else (reads, the transaction, its conditions) runs against the real engine.
let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const quickRetries: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 4, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: Math.random };

const handlerWith = (fault: Fault) => {
  const client = createDocumentClient({ endpoint: table.endpoint });
  const attempted = injectFaults(client, fault);
  const handler = createRenameByIdHandler({ repository: createCustomerRepository(client, table.tableName), retry: quickRetries });
  return { handler, attempted };
};

const rename = (id: string, externalId: string) => byIdEvent(id, JSON.stringify({ externalId }));
const cancelled = (...codes: string[]) =>
  serviceError('TransactionCanceledException', { CancellationReasons: codes.map((Code) => ({ Code })) });

let errors: ReturnType<typeof jest.spyOn>;
beforeEach(() => {
  errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => errors.mockRestore());

describe.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'])('%s', (name) => {
  it('is retried by the SDK, then answered 503 unavailable with the customer untouched', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const { handler, attempted } = handlerWith((command) => (command === 'TransactWriteItemsCommand' ? serviceError(name) : undefined));

    const result = await invoke(handler, rename(customer.id, `${customer.externalId}-t`));

    expect(result.statusCode).toBe(503);
    expect(result.body).toEqual({ code: 'unavailable', message: expect.stringContaining('Retry') });
    expect(attempted.filter((command) => command === 'TransactWriteItemsCommand')).toHaveLength(3);
    expect(await table.scan()).toContainEqual(expect.objectContaining({ id: customer.id, externalId: customer.externalId }));
  });
});

it('retries a transaction cancelled for throttling from the read, then answers 503 once the attempts are spent', async () => {
  const customer = aCustomer();
  await table.put(customer);
  const { handler, attempted } = handlerWith((command) =>
    command === 'TransactWriteItemsCommand' ? cancelled('ThrottlingError', 'None', 'None') : undefined,
  );

  const result = await invoke(handler, rename(customer.id, `${customer.externalId}-t`));

  expect(result.statusCode).toBe(503);
  expect(attempted).toEqual(Array.from({ length: 5 }, () => ['GetItemCommand', 'TransactWriteItemsCommand']).flat());
});

it('retries a TransactionConflict from the read and succeeds once the conflict clears', async () => {
  const customer = aCustomer();
  await table.put(customer);
  let conflicts = 2;
  const { handler, attempted } = handlerWith((command) =>
    command === 'TransactWriteItemsCommand' && conflicts-- > 0 ? cancelled('None', 'TransactionConflict', 'None') : undefined,
  );

  const result = await invoke(handler, rename(customer.id, `${customer.externalId}-c`));

  expect(result.statusCode).toBe(200);
  expect(result.body).toMatchObject({ externalId: `${customer.externalId}-c` });
  expect(attempted.filter((command) => command === 'GetItemCommand')).toHaveLength(3);
});

it('answers 409 aborted when TransactionConflict outlasts the retries, and writes nothing', async () => {
  const customer = aCustomer();
  await table.put(customer);
  const { handler } = handlerWith((command) => (command === 'TransactWriteItemsCommand' ? serviceError('TransactionConflictException') : undefined));

  const result = await invoke(handler, rename(customer.id, `${customer.externalId}-x`));

  expect(result.statusCode).toBe(409);
  expect(result.body).toEqual({ code: 'aborted', message: expect.stringContaining('retry') });
  expect(await table.scan()).toContainEqual(expect.objectContaining({ id: customer.id, externalId: customer.externalId }));
});

it('answers 500 internal for a DynamoDB error retrying cannot fix', async () => {
  const customer = aCustomer();
  await table.put(customer);
  const { handler } = handlerWith((command) => (command === 'TransactWriteItemsCommand' ? serviceError('ValidationException') : undefined));

  const result = await invoke(handler, rename(customer.id, `${customer.externalId}-v`));

  expect(result.statusCode).toBe(500);
  expect(JSON.stringify(result.body)).not.toMatch(/ValidationException|injected/);
});

it('makes five attempts in all by default before answering 409 aborted', async () => {
  const customer = aCustomer();
  await table.put(customer);
  const client = createDocumentClient({ endpoint: table.endpoint });
  const attempted = injectFaults(client, (command) => (command === 'TransactWriteItemsCommand' ? cancelled('None', 'TransactionConflict', 'None') : undefined));
  const handler = createRenameByIdHandler({ repository: createCustomerRepository(client, table.tableName) });

  const result = await invoke(handler, rename(customer.id, `${customer.externalId}-d`));

  expect(result.statusCode).toBe(409);
  expect(attempted.filter((command) => command === 'TransactWriteItemsCommand')).toHaveLength(5);
});

it('answers 503 unavailable for a DynamoDB server error it has no name for', async () => {
  const customer = aCustomer();
  await table.put(customer);
  const { handler } = handlerWith((command) =>
    command === 'GetItemCommand' ? serviceError('UnexpectedServerFault', { $fault: 'server', $metadata: { httpStatusCode: 500 } }) : undefined,
  );

  const result = await invoke(handler, rename(customer.id, `${customer.externalId}-s`));

  expect(result.statusCode).toBe(503);
});
