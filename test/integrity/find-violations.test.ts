import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { displayNameOf, withExternalId, type Customer } from '../../shared/customers/customer.js';
import { buildRenameTransaction } from '../../shared/customers/rename-transaction.js';
import { customerItem, customerKey, externalIdItem, externalIdKey } from '../../shared/customers/table.js';
import { checkIntegrity } from '../../shared/integrity/check-integrity.js';
import { confirmViolations } from '../../shared/integrity/confirm-violations.js';
import type { ViolationKind } from '../../shared/integrity/find-violations.js';
import { findViolations } from '../../shared/integrity/scan-table.js';
import { aCustomer } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

// Each test plants one kind of corruption, with raw writes, in a fresh table next to healthy customers.
const tables: TestTable[] = [];
afterAll(async () => {
  for (const table of tables) await table.drop();
});

const freshTable = async (...healthy: Customer[]): Promise<TestTable> => {
  const table = await createTestTable();
  tables.push(table);
  await table.put(aCustomer(), aCustomer({ middlename: 'Q' }), ...healthy);
  return table;
};

const putRaw = (table: TestTable, ...items: Record<string, unknown>[]) =>
  Promise.all(items.map((Item) => table.client.send(new PutCommand({ TableName: table.tableName, Item }))));

const deleteRaw = (table: TestTable, key: Record<string, string>) => table.client.send(new DeleteCommand({ TableName: table.tableName, Key: key }));

const check = (table: TestTable, pageSize?: number) => checkIntegrity(table.client, table.tableName, { pageSize });

/** kind and sorted items of each violation, in a stable order. */
const summary = (violations: { kind: ViolationKind; items: string[] }[]) =>
  violations.map(({ kind, items }) => ({ kind, items: [...items].sort() })).sort((a, b) => `${a.kind}${a.items}`.localeCompare(`${b.kind}${b.items}`));

describe('integrity check: planted corruption', () => {
  it('finds nothing wrong in a healthy table', async () => {
    const table = await freshTable(aCustomer({ externalId: 'café ☕ 42' }));
    const report = await check(table);
    expect(report).toMatchObject({ itemsRead: 6, suspected: 0, violations: [], dismissed: [] });
  });

  it('finds nothing wrong in an empty table', async () => {
    const table = await createTestTable();
    tables.push(table);
    expect(await check(table)).toMatchObject({ itemsRead: 0, pagesRead: 1, violations: [] });
  });

  it('reports a uniqueness item whose customer does not exist', async () => {
    const table = await freshTable();
    await putRaw(table, externalIdItem('ext-orphan', '777001'));
    const { violations } = await check(table);
    expect(summary(violations)).toEqual([{ kind: 'uniqueness-item-without-customer', items: ['CUSTOMER#777001', 'EXTERNAL_ID#ext-orphan'] }]);
    expect(violations[0]!.message).toContain('"ext-orphan"');
    expect(violations[0]!.evidence).toEqual({
      'EXTERNAL_ID#ext-orphan': { pk: 'EXTERNAL_ID#ext-orphan', type: 'ExternalId', customerId: '777001' },
      'CUSTOMER#777001': null,
    });
  });

  it('reports a customer whose uniqueness item is missing', async () => {
    const lonely = aCustomer();
    const table = await freshTable(lonely);
    await deleteRaw(table, externalIdKey(lonely.externalId));
    const { violations } = await check(table);
    expect(summary(violations)).toEqual([
      { kind: 'customer-without-uniqueness-item', items: [`CUSTOMER#${lonely.id}`, `EXTERNAL_ID#${lonely.externalId}`] },
    ]);
    expect(violations[0]!.evidence[`EXTERNAL_ID#${lonely.externalId}`]).toBeNull();
    expect(violations[0]!.evidence[`CUSTOMER#${lonely.id}`]).toMatchObject({ externalId: lonely.externalId });
  });

  it('reports a uniqueness item that names another customer, with the customer that holds the externalId', async () => {
    const holder = aCustomer();
    const named = aCustomer();
    const table = await freshTable(holder, named);
    await putRaw(table, externalIdItem(holder.externalId, named.id));
    const { violations } = await check(table);
    expect(summary(violations)).toEqual([
      {
        kind: 'uniqueness-item-names-other-customer',
        items: [`CUSTOMER#${holder.id}`, `CUSTOMER#${named.id}`, `EXTERNAL_ID#${holder.externalId}`].sort(),
      },
    ]);
    expect(violations[0]!.message).toContain(`whose externalId is "${named.externalId}"`);
    expect(violations[0]!.message).toContain(`customer ${holder.id} holds it`);
  });

  it('reports a uniqueness item naming a missing customer while another customer holds the externalId', async () => {
    const holder = aCustomer();
    const table = await freshTable(holder);
    await putRaw(table, externalIdItem(holder.externalId, '777002'));
    const { violations } = await check(table);
    expect(summary(violations)).toEqual([
      { kind: 'uniqueness-item-names-other-customer', items: [`CUSTOMER#${holder.id}`, 'CUSTOMER#777002', `EXTERNAL_ID#${holder.externalId}`] },
    ]);
  });

  it('reports two customers that hold one externalId', async () => {
    const first = aCustomer();
    const table = await freshTable(first);
    const second = aCustomer({ externalId: first.externalId });
    await putRaw(table, customerItem(second));
    const { violations } = await check(table);
    expect(summary(violations)).toEqual([
      { kind: 'externalId-held-twice', items: [`CUSTOMER#${first.id}`, `CUSTOMER#${second.id}`, `EXTERNAL_ID#${first.externalId}`].sort() },
    ]);
    expect(violations[0]!.message).toContain(first.externalId);
  });

  it('reports a firstname out of step with the externalId', async () => {
    const drifted = aCustomer();
    const table = await freshTable(drifted);
    const names = { firstname: 'Ada', lastname: drifted.lastname };
    await putRaw(table, customerItem({ ...drifted, ...names }));
    const { violations } = await check(table);
    expect(summary(violations)).toEqual([{ kind: 'firstname-out-of-step', items: [`CUSTOMER#${drifted.id}`] }]);
    expect(violations[0]!.message).toBe(`Customer ${drifted.id} has firstname "Ada" but externalId "${drifted.externalId}".`);
  });

  it('derives the expected displayName from externalId, not from a drifted firstname', async () => {
    const drifted = aCustomer();
    const table = await freshTable(drifted);
    const names = { firstname: 'Ada', lastname: drifted.lastname };
    await putRaw(table, customerItem({ ...drifted, ...names, displayName: displayNameOf(names) }));
    const { violations } = await check(table);
    expect(summary(violations).map(({ kind }) => kind).sort()).toEqual(['displayName-out-of-step', 'firstname-out-of-step']);
    expect(violations.find(({ kind }) => kind === 'displayName-out-of-step')!.message).toContain(`expected "${drifted.externalId} ${drifted.lastname}"`);
  });

  it('reports a displayName out of step with the names', async () => {
    const drifted = aCustomer({ middlename: 'M' });
    const table = await freshTable(drifted);
    await putRaw(table, customerItem({ ...drifted, displayName: `${drifted.firstname} ${drifted.lastname}` }));
    const { violations } = await check(table);
    expect(summary(violations)).toEqual([{ kind: 'displayName-out-of-step', items: [`CUSTOMER#${drifted.id}`] }]);
    expect(violations[0]!.message).toContain(`expected "${drifted.externalId} M ${drifted.lastname}"`);
  });

  it('reports malformed items, and nothing more about what points at them', async () => {
    const badType = aCustomer();
    const wrongKey = aCustomer();
    const table = await freshTable(badType, wrongKey);
    await putRaw(
      table,
      { ...customerItem(badType), active: 'yes' },
      { ...customerItem(wrongKey), pk: 'CUSTOMER#777003' },
      { pk: 'ORDER#1', type: 'Order' },
      { pk: 'EXTERNAL_ID#ext-nobody', type: 'ExternalId' },
      { pk: 'EXTERNAL_ID#ext-numeric', type: 'ExternalId', customerId: 12 },
    );
    const { violations } = await check(table);
    expect(summary(violations)).toEqual(
      summary(
        [`CUSTOMER#${badType.id}`, 'CUSTOMER#777003', 'ORDER#1', 'EXTERNAL_ID#ext-nobody', 'EXTERNAL_ID#ext-numeric'].map((pk) => ({
          kind: 'malformed-item' as const,
          items: [pk],
        })),
      ),
    );
    const byItem = Object.fromEntries(violations.map((violation) => [violation.items[0], violation.message]));
    expect(byItem[`CUSTOMER#${badType.id}`]).toContain('no valid active');
    expect(byItem['CUSTOMER#777003']).toContain(`holds customer id "${wrongKey.id}"`);
    expect(byItem['EXTERNAL_ID#ext-nobody']).toContain('names no customer');
  });

  it('reports every planted corruption at once, on small pages', async () => {
    const lonely = aCustomer();
    const drifted = aCustomer();
    const table = await freshTable(lonely, drifted);
    await deleteRaw(table, externalIdKey(lonely.externalId));
    await putRaw(table, externalIdItem('ext-orphan-2', '777004'), { ...customerItem(drifted), displayName: 'Someone Else' });
    const report = await check(table, 2);
    expect(report.pagesRead).toBeGreaterThanOrEqual(4);
    expect(summary(report.violations).map(({ kind }) => kind)).toEqual([
      'customer-without-uniqueness-item',
      'displayName-out-of-step',
      'uniqueness-item-without-customer',
    ]);
  });
});

describe('integrity check: scanning', () => {
  it('reads in bounded pages and reports progress after each', async () => {
    const table = await freshTable(...Array.from({ length: 30 }, () => aCustomer()));
    const progress: { itemsRead: number; pagesRead: number }[] = [];
    const result = await findViolations(table.client, table.tableName, { pageSize: 7, onProgress: (step) => void progress.push(step) });
    expect(result).toMatchObject({ itemsRead: 64, violations: [] });
    expect(result.pagesRead).toBeGreaterThanOrEqual(10);
    expect(progress).toHaveLength(result.pagesRead);
    progress.forEach((step, index) => {
      expect(step.pagesRead).toBe(index + 1);
      expect(step.itemsRead - (progress[index - 1]?.itemsRead ?? 0)).toBeLessThanOrEqual(7);
    });
    expect(progress.at(-1)?.itemsRead).toBe(64);
  });

  it('refuses a page size outside 1-1000', async () => {
    const table = await freshTable();
    for (const pageSize of [0, 1001, 2.5]) {
      await expect(findViolations(table.client, table.tableName, { pageSize })).rejects.toThrow(/page size/);
    }
  });
});

describe('integrity check: confirmation of what a live scan saw', () => {
  const renameAll = async (table: TestTable, customers: Customer[], suffix: string) => {
    for (const [index, customer] of customers.entries()) {
      const renamed = withExternalId(customer, `${customer.externalId}${suffix}`);
      await table.client.send(new TransactWriteCommand(buildRenameTransaction(table.tableName, customer, renamed)));
      customers[index] = renamed;
    }
  };

  it('dismisses what renames committed during the scan made look wrong, and keeps real corruption', async () => {
    const customers = Array.from({ length: 10 }, () => aCustomer());
    const table = await freshTable(...customers);
    await putRaw(table, externalIdItem('ext-orphan-3', '777005'));
    // The scan order of an unchanged table is stable: find the first page that shows one of the customers to rename.
    const ownPks = new Set(customers.flatMap((customer) => [`CUSTOMER#${customer.id}`, `EXTERNAL_ID#${customer.externalId}`]));
    const renameAfterPage = (await table.scan()).findIndex((item) => ownPks.has(String(item['pk']))) + 1;
    expect(renameAfterPage).toBeGreaterThan(0);
    const report = await checkIntegrity(table.client, table.tableName, {
      pageSize: 1,
      // The scan has seen one item of a customer before the rename and will see the other after it.
      onScanProgress: async ({ pagesRead }) => {
        if (pagesRead === renameAfterPage) await renameAll(table, customers, '-r');
      },
    });
    expect(report.suspected).toBeGreaterThan(1);
    expect(report.dismissed.length).toBe(report.suspected - 1);
    expect(summary(report.violations)).toEqual([{ kind: 'uniqueness-item-without-customer', items: ['CUSTOMER#777005', 'EXTERNAL_ID#ext-orphan-3'] }]);
  });

  it('describes a violation as the re-read finds it', async () => {
    const drifted = aCustomer();
    const table = await freshTable(drifted);
    await table.client.send(
      new UpdateCommand({ TableName: table.tableName, Key: customerKey(drifted.id), UpdateExpression: 'SET displayName = :d', ExpressionAttributeValues: { ':d': 'First' } }),
    );
    const scan = await findViolations(table.client, table.tableName);
    await table.client.send(
      new UpdateCommand({ TableName: table.tableName, Key: customerKey(drifted.id), UpdateExpression: 'SET displayName = :d', ExpressionAttributeValues: { ':d': 'Second' } }),
    );
    const { confirmed, dismissed } = await confirmViolations(table.client, table.tableName, scan.violations);
    expect(dismissed).toEqual([]);
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]!.message).toContain('"Second"');
    expect(confirmed[0]!.evidence[`CUSTOMER#${drifted.id}`]).toMatchObject({ displayName: 'Second' });
  });

  it('dismisses a violation repaired between the scan and the re-read', async () => {
    const lonely = aCustomer();
    const table = await freshTable(lonely);
    await deleteRaw(table, externalIdKey(lonely.externalId));
    const scan = await findViolations(table.client, table.tableName);
    expect(scan.violations.map(({ kind }) => kind)).toEqual(['customer-without-uniqueness-item']);
    await putRaw(table, externalIdItem(lonely.externalId, lonely.id));
    const progress: number[] = [];
    const { confirmed, dismissed } = await confirmViolations(table.client, table.tableName, scan.violations, { onProgress: (checked) => progress.push(checked) });
    expect(confirmed).toEqual([]);
    expect(dismissed).toEqual(scan.violations);
    expect(progress).toEqual([1]);
  });
});
