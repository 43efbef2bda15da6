import fc from 'fast-check';
import { createRenameByExternalIdHandler } from '../../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import type { Customer } from '../../shared/customers/customer.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { ViolationFinder } from '../../shared/integrity/find-violations.js';
import { aCustomer } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { byExternalIdEvent, byIdEvent, invoke, type HttpResult } from '../support/events.js';

/**
 * Model-based: random batches of concurrent renames over a few customers and few candidate values, so that
 * collisions are the rule. After each batch the table must still keep every promise of the data model.
 * RENAME_OPS (default 1,000) sets how many renames the random part sends in all.
 */
const TOTAL_OPS = Number(process.env['RENAME_OPS'] ?? 1_000);
const BATCH = { min: 16, max: 32 };
const CUSTOMERS = 6;
const EXTRA_VALUES = 4;

let table: TestTable;
let byId: ReturnType<typeof createRenameByIdHandler>;
let byExternalId: ReturnType<typeof createRenameByExternalIdHandler>;
let customers: Customer[];

beforeAll(async () => {
  table = await createTestTable();
  customers = Array.from({ length: CUSTOMERS }, () => aCustomer({ middlename: 'M' }));
  await table.put(...customers);
  const dependencies = { repository: createCustomerRepository(table.client, table.tableName) };
  byId = createRenameByIdHandler(dependencies);
  byExternalId = createRenameByExternalIdHandler(dependencies);
});
afterAll(() => table.drop());

interface Rename {
  customer: number;
  target: number;
  byExternalId: boolean;
}

const candidateValues = () => [...customers.map((customer) => customer.externalId), ...Array.from({ length: EXTRA_VALUES }, (_, i) => `ext-spare-${i}`)];

/** Each customer's externalId as the table holds it now, after checking the table keeps the data model. */
const checkTable = async (): Promise<Map<string, string>> => {
  const items = await table.scan();
  const finder = new ViolationFinder();
  for (const item of items) finder.add(item);
  expect(finder.finish()).toEqual([]);
  const held = new Map<string, string>();
  for (const item of items) if (item['type'] === 'Customer') held.set(String(item['id']), String(item['externalId']));
  expect(held.size).toBe(CUSTOMERS);
  expect(items).toHaveLength(2 * CUSTOMERS);
  return held;
};

const send = (rename: Rename, before: Map<string, string>, values: string[]): Promise<HttpResult> => {
  const customer = customers[rename.customer] as Customer;
  const body = JSON.stringify({ externalId: values[rename.target] });
  return rename.byExternalId
    ? invoke(byExternalId, byExternalIdEvent(before.get(customer.id) as string, body))
    : invoke(byId, byIdEvent(customer.id, body));
};

/** Runs one batch at once and checks every answer and the table against what the batch could have done. */
const runBatch = async (renames: Rename[]) => {
  const values = candidateValues();
  const before = await checkTable();
  const results = await Promise.all(renames.map((rename) => send(rename, before, values)));
  const after = await checkTable();

  // Addressed by externalId, a request renames whoever holds that value when it reads, which need not be
  // the customer that held it when the batch began: the answer names the customer, and must be true of it.
  const renamedTo = new Map<string, string[]>();
  renames.forEach((rename, index) => {
    const result = results[index] as HttpResult;
    const target = values[rename.target] as string;
    if (result.statusCode === 200) {
      const id = (result.body as Customer).id;
      const customer = customers.find((candidate) => candidate.id === id);
      expect(customer).toBeDefined();
      if (!rename.byExternalId) expect(id).toBe(customers[rename.customer]?.id);
      expect(result.body).toEqual({ ...customer, externalId: target, firstname: target, displayName: `${target} M Customer` });
      renamedTo.set(id, [...(renamedTo.get(id) ?? []), target]);
    } else {
      expect([404, 409]).toContain(result.statusCode);
      expect(result.body).toEqual({ code: result.statusCode === 404 ? 'not_found' : 'aborted', message: expect.any(String) });
    }
  });
  // A customer that changed did so because a request for it succeeded, with the value it ended with.
  for (const customer of customers) {
    const end = after.get(customer.id) as string;
    if (end !== before.get(customer.id)) expect(renamedTo.get(customer.id)).toContain(end);
  }
};

const renameArbitrary = fc.record({
  customer: fc.nat({ max: CUSTOMERS - 1 }),
  target: fc.nat({ max: CUSTOMERS + EXTRA_VALUES - 1 }),
  byExternalId: fc.boolean(),
});

describe('concurrent renames', () => {
  it(`keep the table consistent over at least ${TOTAL_OPS} random renames in concurrent batches`, async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(renameArbitrary, { minLength: BATCH.min, maxLength: BATCH.max }), async (renames) => {
        sent += renames.length;
        await runBatch(renames);
      }),
      { numRuns: Math.ceil(TOTAL_OPS / BATCH.min), endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(TOTAL_OPS);
  }, 600_000);


  it('let exactly one of many customers racing for one new externalId win', async () => {
    const before = await checkTable();
    const spare = `ext-prize-${Date.now()}`;
    const results = await Promise.all(customers.map((customer) => invoke(byId, byIdEvent(customer.id, JSON.stringify({ externalId: spare })))));
    expect(results.filter((result) => result.statusCode === 200)).toHaveLength(1);
    expect(results.filter((result) => result.statusCode === 409)).toHaveLength(CUSTOMERS - 1);
    const after = await checkTable();
    expect([...after.values()].filter((value) => value === spare)).toHaveLength(1);
    expect([...after.values()].filter((value) => value !== spare).every((value) => [...before.values()].includes(value))).toBe(true);
  });

  it('rename one customer to many values at once and end on one of the values it was answered with', async () => {
    const renames = Array.from({ length: 8 }, (_, i) => ({ customer: 0, target: CUSTOMERS + (i % EXTRA_VALUES), byExternalId: i % 2 === 0 }));
    // The extra values may be held by now; free them by moving their holders to fresh values first.
    for (const value of candidateValues().slice(CUSTOMERS)) {
      const holder = [...(await checkTable()).entries()].find(([, held]) => held === value);
      if (holder) await invoke(byId, byIdEvent(holder[0], JSON.stringify({ externalId: `${value}-moved-${Date.now()}` })));
    }
    await runBatch(renames);
  });

  it('resolve A→B while B→A without ever sharing a value', async () => {
    const held = await checkTable();
    const [a, b] = customers as [Customer, Customer];
    const results = await Promise.all([
      invoke(byId, byIdEvent(a.id, JSON.stringify({ externalId: held.get(b.id) }))),
      invoke(byId, byIdEvent(b.id, JSON.stringify({ externalId: held.get(a.id) }))),
    ]);
    expect(results.map((result) => result.statusCode)).toEqual([409, 409]);
    expect(await checkTable()).toEqual(held);
  });

  it('interleave a rename and its reverse and end on one of the two values', async () => {
    const held = await checkTable();
    const customer = customers[2] as Customer;
    const original = held.get(customer.id) as string;
    const fresh = `ext-back-and-forth-${Date.now()}`;
    const results = await Promise.all([
      invoke(byId, byIdEvent(customer.id, JSON.stringify({ externalId: fresh }))),
      invoke(byExternalId, byExternalIdEvent(fresh, JSON.stringify({ externalId: original }))),
      invoke(byId, byIdEvent(customer.id, JSON.stringify({ externalId: original }))),
    ]);
    expect(results[0]?.statusCode).toBe(200);
    expect([200, 404]).toContain(results[1]?.statusCode);
    expect([fresh, original]).toContain((await checkTable()).get(customer.id));
  });

  it('let a customer take the value another is giving up, or refuse it, never both hold it', async () => {
    const held = await checkTable();
    const [giver, taker] = [customers[3] as Customer, customers[4] as Customer];
    const given = held.get(giver.id) as string;
    const results = await Promise.all([
      invoke(byId, byIdEvent(giver.id, JSON.stringify({ externalId: `ext-given-up-${Date.now()}` }))),
      invoke(byId, byIdEvent(taker.id, JSON.stringify({ externalId: given }))),
    ]);
    expect(results[0]?.statusCode).toBe(200);
    expect([200, 409]).toContain(results[1]?.statusCode);
    const after = await checkTable();
    expect(after.get(taker.id) === given).toBe(results[1]?.statusCode === 200);
  });
});
