import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { findViolations } from '../../shared/integrity/scan-table.js';
import { startDynamoDbLocal, type RunningDynamoDb } from '../../local/dynamodb-local.js';
import { ensureTable } from '../../local/table.js';
import { writeCustomerIfAbsent } from '../../local/write-customer.js';
import { aCustomer } from '../support/customers.js';
import { byIdEvent, invoke, type HttpResult } from '../support/events.js';

/**
 * DynamoDB Local keeps its data on disk here and is killed outright (SIGKILL) in the middle of a burst of
 * renames, then started again on the same files: every rename must have happened whole or not at all.
 */
const TABLE = 'customers-crash';
const CUSTOMERS = 12;
const WAVES = 40;

let folder: string;
let engine: RunningDynamoDb | undefined;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'customers-crash-'));
});
afterAll(async () => {
  await engine?.stop();
  await rm(folder, { recursive: true, force: true });
});

it('leaves no partial rename behind when DynamoDB dies mid-burst and comes back', async () => {
  engine = await startDynamoDbLocal({ dbPath: folder, detached: true });
  const { port } = engine;
  const client = createDocumentClient({ endpoint: engine.endpoint });
  await ensureTable(client, TABLE);
  const customers = Array.from({ length: CUSTOMERS }, () => aCustomer());
  for (const customer of customers) await writeCustomerIfAbsent(client, TABLE, customer);
  const handler = createRenameByIdHandler({ repository: createCustomerRepository(client, TABLE) });
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);

  const results: HttpResult[] = [];
  let killed = false;
  for (let wave = 0; wave < WAVES; wave += 1) {
    if (wave === WAVES / 2) {
      // Mid-burst, with the previous wave's transactions still landing.
      const running = Promise.all(
        customers.map((customer, index) => invoke(handler, byIdEvent(customer.id, JSON.stringify({ externalId: `ext-crash-${wave}-${(index + 1) % CUSTOMERS}` })))),
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      process.kill(-(engine.process.pid as number), 'SIGKILL');
      killed = true;
      results.push(...(await running));
      continue;
    }
    const wave_ = await Promise.all(
      customers.map((customer, index) =>
        invoke(handler, byIdEvent(customer.id, JSON.stringify({ externalId: `ext-crash-${wave}-${(index + wave) % CUSTOMERS}` }))),
      ),
    );
    results.push(...wave_);
  }
  errors.mockRestore();
  client.destroy();

  expect(killed).toBe(true);
  const statuses = new Set(results.map((result) => result.statusCode));
  for (const status of statuses) expect([200, 404, 409, 503]).toContain(status);
  expect(statuses).toContain(200);
  expect(statuses).toContain(503);

  engine = await startDynamoDbLocal({ dbPath: folder, port, detached: true });
  const reopened = createDocumentClient({ endpoint: engine.endpoint });
  const { itemsRead, violations } = await findViolations(reopened, TABLE);
  reopened.destroy();

  expect(violations).toEqual([]);
  expect(itemsRead).toBe(2 * CUSTOMERS);
}, 120_000);
