import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../local/dynamodb-local.js';
import { customerKey, externalIdItem } from '../../shared/customers/table.js';
import { aCustomer } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

// `npm run integrity-check` as operators run it: a child process (node --import tsx scripts/integrity-check.ts).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const run = (command: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> => {
  // No NODE_OPTIONS from jest, no endpoint or table unless the test gives one.
  const base: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: undefined, DYNAMODB_ENDPOINT: undefined, TABLE_NAME: undefined };
  const childEnv = Object.fromEntries(Object.entries({ ...base, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const child = spawn(command, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
};

const check = (args: string[], env: Record<string, string | undefined> = {}) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/integrity-check.ts', ...args], env);

const tables: TestTable[] = [];
const freshTable = async (customers = 2): Promise<TestTable> => {
  const table = await createTestTable();
  tables.push(table);
  await table.put(...Array.from({ length: customers }, () => aCustomer()));
  return table;
};
afterAll(async () => {
  for (const table of tables) await table.drop();
});

const NO_STACK = /\n\s+at /;

describe('npm run integrity-check', () => {
  it('exits 0 on a healthy table (through the npm script)', async () => {
    const table = await freshTable();
    const result = await run('npm', ['run', '--silent', 'integrity-check', '--', '--endpoint', table.endpoint, '--table', table.tableName]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`No violations: 4 items in 1 page of table ${table.tableName} at ${table.endpoint}.\n`);
  });

  it('exits 1 and names the items involved when it finds corruption', async () => {
    const table = await freshTable();
    const twin = aCustomer();
    await table.put(twin);
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: externalIdItem('ext-orphan-cli', '888001') }));
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: customerKey(twin.id),
        UpdateExpression: 'SET firstname = :f, displayName = :d',
        ExpressionAttributeValues: { ':f': 'Bob', ':d': 'Bob Customer' },
      }),
    );
    const result = await check(['--endpoint', table.endpoint, '--table', table.tableName]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('uniqueness-item-without-customer: The uniqueness item for "ext-orphan-cli" names customer 888001, which does not exist.');
    expect(result.stdout).toMatch(/"EXTERNAL_ID#ext-orphan-cli"\s+type="ExternalId" customerId="888001"/);
    expect(result.stdout).toMatch(/"CUSTOMER#888001"\s+\(absent\)/);
    expect(result.stdout).toContain(`firstname-out-of-step: Customer ${twin.id} has firstname "Bob" but externalId "${twin.externalId}".`);
    expect(result.stdout).toContain(`"CUSTOMER#${twin.id}"`);
    expect(result.stdout).toContain(`displayName-out-of-step: Customer ${twin.id} has displayName`);
    expect(result.stdout).toContain(`3 violations found: 7 items in 1 page of table ${table.tableName}`);
  });

  it('writes one JSON object with --json, and reads DYNAMODB_ENDPOINT and TABLE_NAME', async () => {
    const table = await freshTable();
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'ORDER#1', type: 'Order', total: 12.5, tags: new Set(['a']) } }));
    const result = await check(['--json'], { DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: table.tableName });
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ table: table.tableName, endpoint: table.endpoint, itemsRead: 5, suspected: 1, dismissed: 0, ok: false });
    expect(output.violations).toEqual([
      {
        kind: 'malformed-item',
        message: 'ORDER#1 is neither a customer nor an externalId uniqueness item (type "Order").',
        items: ['ORDER#1'],
        evidence: { 'ORDER#1': { pk: 'ORDER#1', type: 'Order', total: { number: '12.5' }, tags: ['a'] } },
      },
    ]);
  });

  it('pages through a larger table with progress on stderr and finds a violation on a late page', async () => {
    const table = await freshTable(60);
    // Scan order is stable: corrupt a customer the scan reaches only on its last pages.
    const items = await table.scan();
    const late = items.slice(-10).find((item) => String(item['pk']).startsWith('CUSTOMER#'))!;
    expect(items.indexOf(late)).toBeGreaterThan(100);
    await table.client.send(
      new UpdateCommand({ TableName: table.tableName, Key: { pk: late['pk'] }, UpdateExpression: 'SET displayName = :d', ExpressionAttributeValues: { ':d': 'Late Name' } }),
    );
    const result = await check(['--endpoint', table.endpoint, '--table', table.tableName, '--page-size', '5']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`displayName-out-of-step: Customer ${late['id']} has displayName "Late Name"`);
    expect(result.stdout).toContain(`1 violation found: 120 items in 25 pages of table ${table.tableName}`);
    // Not a terminal: a line every 10 pages, then the re-check of what the scan suspected.
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `Scanning ${table.tableName}: 50 items read (10 pages)`,
      `Scanning ${table.tableName}: 100 items read (20 pages)`,
      'Re-checking 1 suspected violation with consistent reads: 0 done',
      'Re-checking 1 suspected violation with consistent reads: 1 done',
    ]);
    const quiet = await check(['--endpoint', table.endpoint, '--table', table.tableName, '--page-size', '5', '--no-progress']);
    expect(quiet).toMatchObject({ code: 1, stderr: '' });
  });

  it('exits 2 with a plain message for a table that does not exist', async () => {
    const table = await freshTable(0);
    const result = await check(['--endpoint', table.endpoint, '--table', 'no-such-table']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(`integrity-check: There is no table no-such-table at ${table.endpoint}.\n`);
  });

  it('exits 2 when nothing answers at the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const result = await check(['--endpoint', endpoint]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`DynamoDB did not answer at ${endpoint} (ECONNREFUSED)`);
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['stray'], 'Unexpected argument'],
    [['--page-size', '0'], '--page-size "0" is not a whole number from 1 to 1000.'],
    [['--page-size', '1001'], '--page-size "1001" is not a whole number from 1 to 1000.'],
    [['--page-size', 'ten'], '--page-size "ten" is not a whole number'],
    [['--table', 'x'], 'Table name "x" is not a valid DynamoDB table name'],
    [['--endpoint', 'not a url'], 'Endpoint "not a url" is not a URL'],
    [['--aws', '--endpoint', 'http://127.0.0.1:8000'], '--aws and --endpoint exclude each other'],
    [['--aws'], '--aws needs the table'],
  ])('exits 2 on bad options: %j', async (args, message) => {
    const result = await check(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  it('explains itself with --help', async () => {
    const result = await check(['--help']);
    expect(result.code).toBe(0);
    for (const text of ['--endpoint URL', '--aws', 'http://127.0.0.1:8000', 'strongly consistent GetItem', 'Exit status: 0 no violations, 1 violations found, 2']) {
      expect(result.stdout).toContain(text);
    }
  });
});
