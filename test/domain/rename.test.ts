import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { withExternalId, type Customer } from '../../shared/customers/customer.js';
import {
  ConcurrentUpdateError,
  CustomerNotFoundError,
  ExternalIdTakenError,
  StorageError,
  StorageUnavailableError,
} from '../../shared/customers/errors.js';
import { renameCustomer, type RetryPolicy } from '../../shared/customers/rename.js';
import { createCustomerRepository, type CustomerRepository, type RenameOutcome } from '../../shared/customers/repository.js';
import { customerKey, externalIdKey } from '../../shared/customers/table.js';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { recordCommands, recordInputs } from '../support/command-log.js';
import { aCustomer, ada } from '../support/customers.js';
import { startSilentServer } from '../support/silent-server.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

let table: TestTable;
let repository: CustomerRepository;
let commands: string[];

const noWait: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5, sleep: async () => {}, random: () => 0.5 };

beforeAll(async () => {
  table = await createTestTable();
  // The repository gets a client of its own so that only its calls are recorded, not the test's.
  const client = createDocumentClient({ endpoint: table.endpoint });
  commands = recordCommands(client);
  repository = createCustomerRepository(client, table.tableName);
});
afterAll(() => table.drop());
beforeEach(() => commands.splice(0));

/** The repository, except that another request runs once between this one's read and its write. */
const interferingOnce = (interference: () => Promise<unknown>): CustomerRepository => {
  let interfered = false;
  return {
    ...repository,
    async applyRename(current, renamed) {
      if (!interfered) {
        interfered = true;
        await interference();
      }
      return repository.applyRename(current, renamed);
    },
  };
};

const stored = async (id: string) =>
  (await table.client.send(new GetCommand({ TableName: table.tableName, Key: customerKey(id), ConsistentRead: true }))).Item;
const holderOf = async (externalId: string) =>
  (await table.client.send(new GetCommand({ TableName: table.tableName, Key: externalIdKey(externalId), ConsistentRead: true })))
    .Item?.['customerId'];

describe('renameCustomer', () => {
  it('renames by id: externalId, firstname and displayName move, nothing else changes', async () => {
    const customer = aCustomer({ middlename: 'Augusta', mobileNo: '+15550100', emailAddress: 'ada@example.com' });
    await table.put(customer);

    const result = await renameCustomer({ repository }, { id: customer.id }, 'ext-renamed-by-id');

    const expected: Customer = {
      ...customer,
      externalId: 'ext-renamed-by-id',
      firstname: 'ext-renamed-by-id',
      displayName: 'ext-renamed-by-id Augusta Customer',
    };
    expect(result).toEqual(expected);
    expect(await stored(customer.id)).toEqual({ pk: `CUSTOMER#${customer.id}`, type: 'Customer', ...expected });
    expect(await holderOf('ext-renamed-by-id')).toBe(customer.id);
    expect(await holderOf(customer.externalId)).toBeUndefined();
    expect(commands).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
  });

  it('renames by current externalId with one more read, to find the id', async () => {
    const customer = aCustomer();
    await table.put(customer);

    const result = await renameCustomer({ repository }, { externalId: customer.externalId }, 'ext-renamed-by-ref');

    expect(result.externalId).toBe('ext-renamed-by-ref');
    expect(await holderOf('ext-renamed-by-ref')).toBe(customer.id);
    expect(await holderOf(customer.externalId)).toBeUndefined();
    expect(commands).toEqual(['GetItemCommand', 'GetItemCommand', 'TransactWriteItemsCommand']);
  });

  it('renames a closed customer and keeps its status', async () => {
    const closed = aCustomer({ status: 'Closed', active: false });
    await table.put(closed);

    const result = await renameCustomer({ repository }, { id: closed.id }, 'ext-closed-renamed');

    expect(result).toMatchObject({ status: 'Closed', active: false, externalId: 'ext-closed-renamed' });
    expect(await stored(closed.id)).toMatchObject({ status: 'Closed', active: false, externalId: 'ext-closed-renamed' });
  });

  it('returns the unchanged customer and sends no write when the new externalId is the current one', async () => {
    const customer = aCustomer();
    await table.put(customer);

    const result = await renameCustomer({ repository }, { externalId: customer.externalId }, customer.externalId);

    expect(result).toEqual(customer);
    expect(commands).not.toContain('TransactWriteItemsCommand');
    expect(await holderOf(customer.externalId)).toBe(customer.id);
  });

  it('reports not found for an unknown id or externalId, without a transaction', async () => {
    await expect(renameCustomer({ repository }, { id: '999999999' }, 'ext-x')).rejects.toThrow(
      new CustomerNotFoundError('No customer with id 999999999.'),
    );
    await expect(renameCustomer({ repository }, { externalId: 'ext-nobody' }, 'ext-x')).rejects.toThrow(
      new CustomerNotFoundError('No customer with externalId "ext-nobody".'),
    );
    expect(commands).not.toContain('TransactWriteItemsCommand');
  });

  it('refuses an externalId held by another customer and leaves both as they were', async () => {
    const first = aCustomer();
    const second = aCustomer();
    await table.put(first, second);

    await expect(renameCustomer({ repository }, { id: first.id }, second.externalId)).rejects.toBeInstanceOf(ExternalIdTakenError);

    expect(await stored(first.id)).toMatchObject(first);
    expect(await stored(second.id)).toMatchObject(second);
    expect(await holderOf(first.externalId)).toBe(first.id);
    expect(await holderOf(second.externalId)).toBe(second.id);
  });

  it('lets exactly one of many customers racing for one externalId win', async () => {
    const racers = Array.from({ length: 8 }, () => aCustomer());
    await table.put(...racers);

    const results = await Promise.allSettled(racers.map((racer) => renameCustomer({ repository }, { id: racer.id }, 'ext-prize')));

    const winners = results.filter((result) => result.status === 'fulfilled');
    const losers = results.filter((result) => result.status === 'rejected');
    expect(winners).toHaveLength(1);
    for (const loser of losers) expect(loser.reason).toBeInstanceOf(ExternalIdTakenError);
    const winner = (winners[0] as PromiseFulfilledResult<Customer>).value;
    expect(await holderOf('ext-prize')).toBe(winner.id);
    for (const racer of racers.filter((racer) => racer.id !== winner.id)) {
      expect(await holderOf(racer.externalId)).toBe(racer.id);
    }
  });

  it('re-reads and retries when the customer changed between read and write', async () => {
    const customer = aCustomer();
    await table.put(customer);
    // Another request renames the customer right after this one has read it.
    const racing = interferingOnce(() => renameCustomer({ repository }, { id: customer.id }, 'ext-moved-meanwhile'));

    const result = await renameCustomer({ repository: racing, retry: noWait }, { id: customer.id }, 'ext-final');

    expect(result.externalId).toBe('ext-final');
    expect(await holderOf('ext-final')).toBe(customer.id);
    expect(await holderOf('ext-moved-meanwhile')).toBeUndefined();
    expect(await holderOf(customer.externalId)).toBeUndefined();
  });

  it('answers not found, not a rename, when a customer addressed by externalId was renamed meanwhile', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const racing = interferingOnce(() => renameCustomer({ repository }, { id: customer.id }, 'ext-taken-over'));

    await expect(
      renameCustomer({ repository: racing, retry: noWait }, { externalId: customer.externalId }, 'ext-too-late'),
    ).rejects.toBeInstanceOf(CustomerNotFoundError);
    expect(await holderOf('ext-taken-over')).toBe(customer.id);
    expect(await holderOf('ext-too-late')).toBeUndefined();
  });

  it('succeeds when a concurrent identical request already applied the rename', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const racing = interferingOnce(() => renameCustomer({ repository }, { externalId: customer.externalId }, 'ext-same-target'));

    const result = await renameCustomer({ repository: racing, retry: noWait }, { externalId: customer.externalId }, 'ext-same-target');

    expect(result).toEqual(withExternalId(customer, 'ext-same-target'));
  });

  it('reports not found when the customer disappears between read and write', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const vanishing: CustomerRepository = {
      ...repository,
      async applyRename(current, renamed) {
        await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: customerKey(customer.id) }));
        return repository.applyRename(current, renamed);
      },
    };

    await expect(renameCustomer({ repository: vanishing, retry: noWait }, { id: customer.id }, 'ext-ghost')).rejects.toBeInstanceOf(
      CustomerNotFoundError,
    );
    expect(await holderOf('ext-ghost')).toBeUndefined();
    expect(await holderOf(customer.externalId)).toBe(customer.id);
  });

  it('gives up with a conflict after a bounded number of attempts, waiting a jittered, growing delay between them', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const waits: number[] = [];
    let attempts = 0;
    const alwaysContended: CustomerRepository = {
      ...repository,
      applyRename: async (): Promise<RenameOutcome> => {
        attempts += 1;
        return { kind: 'contended' };
      },
    };
    const retry: RetryPolicy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 1_000, random: () => 0.5, sleep: async (ms) => void waits.push(ms) };

    await expect(renameCustomer({ repository: alwaysContended, retry }, { id: customer.id }, 'ext-never')).rejects.toBeInstanceOf(
      ConcurrentUpdateError,
    );
    expect(attempts).toBe(4);
    expect(waits).toEqual([10, 20, 40]);
  });

  it('reports the database unavailable when throttled transactions keep failing', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const throttled: CustomerRepository = { ...repository, applyRename: async (): Promise<RenameOutcome> => ({ kind: 'throttled' }) };

    await expect(renameCustomer({ repository: throttled, retry: noWait }, { id: customer.id }, 'ext-slow')).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
  });

  it('refuses to rename a customer whose uniqueness item is missing, as an integrity error', async () => {
    const customer = aCustomer();
    await table.put(customer);
    await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: externalIdKey(customer.externalId) }));

    await expect(renameCustomer({ repository, retry: noWait }, { id: customer.id }, 'ext-orphan')).rejects.toBeInstanceOf(StorageError);
    expect(await holderOf('ext-orphan')).toBeUndefined();
    expect(await stored(customer.id)).toMatchObject({ externalId: customer.externalId });
  });

  it('reports a database error that retrying cannot fix as internal, not unavailable', async () => {
    const wrongTable = createCustomerRepository(table.client, 'no-such-table');

    await expect(renameCustomer({ repository: wrongTable }, { id: ada().id }, 'ext-x')).rejects.toBeInstanceOf(StorageError);
  });

  it('reports the database unavailable, within seconds, when it accepts connections but never answers', async () => {
    const silent = await startSilentServer();
    const hung = createDocumentClient({ endpoint: silent.endpoint, region: 'us-east-1' });
    const started = Date.now();

    try {
      await expect(
        renameCustomer({ repository: createCustomerRepository(hung, table.tableName) }, { id: '42' }, 'ext-x'),
      ).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - started).toBeLessThan(9_000);
    } finally {
      hung.destroy();
      await silent.close();
    }
  }, 20_000);

  it('reads with strong consistency', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const client = createDocumentClient({ endpoint: table.endpoint });
    const inputs = recordInputs(client);

    await renameCustomer({ repository: createCustomerRepository(client, table.tableName) }, { externalId: customer.externalId }, customer.externalId);

    expect(inputs.map(({ name }) => name)).toEqual(['GetItemCommand', 'GetItemCommand']);
    for (const { input } of inputs) expect(input).toMatchObject({ ConsistentRead: true });
    client.destroy();
  });

  it('starts nothing more once the caller has given up', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const controller = new AbortController();
    let renames = 0;
    const slow: CustomerRepository = {
      ...repository,
      async getCustomer(id, signal) {
        controller.abort();
        return repository.getCustomer(id, signal);
      },
      async applyRename(current, renamed, signal) {
        renames += 1;
        return repository.applyRename(current, renamed, signal);
      },
    };

    await expect(renameCustomer({ repository: slow }, { id: customer.id }, 'ext-abandoned', controller.signal)).rejects.toThrow();
    expect(renames).toBe(0);
    expect(await holderOf(customer.externalId)).toBe(customer.id);
  });

  it('reports the database unavailable when it cannot be reached', async () => {
    const unreachable = createDocumentClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1' });
    const offline = createCustomerRepository(unreachable, table.tableName);

    await expect(renameCustomer({ repository: offline }, { id: ada().id }, 'ext-x')).rejects.toBeInstanceOf(StorageUnavailableError);
    unreachable.destroy();
  });
});
