import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SEED_FILE, loadSeedFile, SeedFileError, seedTable } from '../../local/seed.js';
import type { Customer } from '../../shared/customers/customer.js';
import { renameCustomer } from '../../shared/customers/rename.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { aCustomer, ada, SEED_RESPONSE } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'customers-seed-'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

const fileWith = async (text: string) => {
  files += 1;
  const path = join(dir, `seed-${files}.json`);
  await writeFile(path, text);
  return path;
};

/** The error a file holding `content` is refused with; its message must name the file. */
const refusalOf = async (content: unknown): Promise<string> => {
  const path = await fileWith(typeof content === 'string' ? content : JSON.stringify(content));
  const error = await loadSeedFile(path).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(SeedFileError);
  const { message } = error as SeedFileError;
  expect(message).toContain(path);
  return message;
};

const without = (customer: Customer, field: keyof Customer) => {
  const copy: Record<string, unknown> = { ...customer };
  delete copy[field];
  return copy;
};

describe('the default seed file', () => {
  it('loads, starts with the seed page customer 42 and covers the other shapes', async () => {
    const customers = await loadSeedFile(DEFAULT_SEED_FILE);
    expect(customers[0]).toEqual(ada());
    expect(customers.length).toBeGreaterThanOrEqual(5);
    expect(customers.some((customer) => customer.middlename && customer.mobileNo && customer.emailAddress)).toBe(true);
    expect(customers.some((customer) => customer.status === 'Closed' && !customer.active)).toBe(true);
  });
});

describe('loadSeedFile refuses', () => {
  const grace = aCustomer({ middlename: 'Brewster', lastname: 'Hopper' });

  it.each<[string, unknown[], string[]]>([
    ['firstname that is not the externalId', [ada(), { ...grace, firstname: 'Grace' }], ['customers[1]', `id "${grace.id}"`, 'firstname must equal externalId']],
    ['a displayName that does not follow the names', [{ ...grace, displayName: 'Grace Hopper' }], ['customers[0]', `externalId "${grace.externalId}"`, 'displayName must be']],
    ['a duplicate id', [ada(), { ...grace, id: '42' }], ['customers[1]', 'id must be unique', 'customers[0] has the same id']],
    ['a duplicate externalId', [ada(), aCustomer({ externalId: 'ext-ada-001' })], ['customers[1]', 'externalId must be unique']],
    ['an invalid externalId', [aCustomer({ externalId: 'ext\u200bhidden' })], ['customers[0]', 'externalId must not contain', 'U+200B']],
    ['an externalId with surrounding spaces', [aCustomer({ externalId: ' ext-padded' })], ['externalId must not start or end with whitespace']],
    ['an invalid id', [{ ...grace, id: '007' }], ['customers[0]', 'id must be a positive decimal integer']],
    ['an unknown field', [{ ...grace, nickname: 'Amazing Grace' }], ['customers[0]', 'unknown field "nickname"']],
    ['a string where a boolean belongs', [{ ...grace, active: 'true' }], ['active must be a boolean; it is a string']],
    ['a number where a string belongs', [{ ...grace, officeId: 1 }], ['officeId must be a string; it is a number']],
    ['a missing required field', [without(grace, 'lastname')], ['missing the required field lastname']],
    ['an empty optional field', [{ ...grace, mobileNo: '' }], ['mobileNo must be left out, not empty']],
    ['active that contradicts status', [{ ...grace, status: 'Closed' }], ['active must be true exactly when status is "Active"']],
    ['a record that is not an object', [ada(), 'ext-ada-002'], ['customers[1] must be a JSON object; it is a string']],
  ])('%s', async (_, records, expected) => {
    const message = await refusalOf(records);
    for (const part of expected) expect(message).toContain(part);
  });

  it('a file that is not an array', async () => {
    expect(await refusalOf({ customers: [ada()] })).toContain('must hold a JSON array of customer objects; it holds an object');
  });

  it('a file that is not JSON', async () => {
    expect(await refusalOf('[{"id": "42",')).toContain('is not valid JSON');
  });

  it('a file that cannot be read', async () => {
    const path = join(dir, 'absent.json');
    await expect(loadSeedFile(path)).rejects.toThrow(`Seed file ${path} was not loaded:\n  - cannot be read`);
  });

  it('with every problem in one error, up to a cap', async () => {
    const few = await refusalOf([{ ...ada(), firstname: 'Ada' }, ada(), { ...grace, active: 'yes' }]);
    expect(few).toContain('customers[0]');
    expect(few).toContain('customers[1]');
    expect(few).toContain('customers[2]');
    const many = await refusalOf(Array.from({ length: 30 }, () => 'not a customer'));
    expect(many).toContain('customers[19]');
    expect(many).not.toContain('customers[20]');
    expect(many).toContain('and 10 more');
  });
});

describe('seedTable', () => {
  let table: TestTable;

  beforeAll(async () => {
    table = await createTestTable();
  });

  afterAll(() => table.drop());

  it('writes each customer with its uniqueness item, and leaves existing customers as they are', async () => {
    const customers = await loadSeedFile(DEFAULT_SEED_FILE);
    expect(await seedTable(table.client, table.tableName, customers)).toEqual({ written: customers.length, existed: 0, blocked: [] });

    const repository = createCustomerRepository(table.client, table.tableName);
    await renameCustomer({ repository }, { id: '42' }, 'ext-ada-002');
    expect(await seedTable(table.client, table.tableName, customers)).toEqual({ written: 0, existed: customers.length, blocked: [] });
    expect(await repository.getCustomer('42')).toEqual(JSON.parse(SEED_RESPONSE));

    const items = await table.scan();
    const holders = new Map(items.filter((item) => item['type'] === 'ExternalId').map((item) => [item['pk'], item['customerId']]));
    const stored = items.filter((item) => item['type'] === 'Customer');
    expect(stored).toHaveLength(customers.length);
    expect(holders.size).toBe(customers.length);
    for (const customer of stored) expect(holders.get(`EXTERNAL_ID#${String(customer['externalId'])}`)).toBe(customer['id']);
    expect(holders.has('EXTERNAL_ID#ext-ada-001')).toBe(false);
  });

  it('reports a new customer whose externalId another customer holds, and does not write it', async () => {
    const newcomer = aCustomer({ externalId: 'ext-ada-002' });
    const result = await seedTable(table.client, table.tableName, [newcomer]);
    expect(result).toEqual({ written: 0, existed: 0, blocked: [{ customer: newcomer, heldBy: '42' }] });
    expect(await createCustomerRepository(table.client, table.tableName).getCustomer(newcomer.id)).toBeUndefined();
  });
});
