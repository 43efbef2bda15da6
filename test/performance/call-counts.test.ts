// The DynamoDB calls each kind of request costs (counts, not times): what a rename costs on a user's bill.
// See PERFORMANCE.md; `npm run bench` measures the same at a counting proxy.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createRenameByExternalIdHandler } from '../../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { recordCommands } from '../support/command-log.js';
import { aCustomer } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { byExternalIdEvent, byIdEvent, invoke } from '../support/events.js';

const GET = 'GetItemCommand';
const TRANSACT = 'TransactWriteItemsCommand';
const WRITES = new Set([TRANSACT, 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

let table: TestTable;
let commands: string[];
let byExternalId: ReturnType<typeof createRenameByExternalIdHandler>;
let byId: ReturnType<typeof createRenameByIdHandler>;

beforeAll(async () => {
  table = await createTestTable();
  // The wiring of shared/dependencies.ts, with the client in hand so every command it sends is recorded.
  const client = createDocumentClient({ endpoint: table.endpoint });
  commands = recordCommands(client);
  const dependencies = { repository: createCustomerRepository(client, table.tableName) };
  byExternalId = createRenameByExternalIdHandler(dependencies);
  byId = createRenameByIdHandler(dependencies);
});
afterAll(() => table.drop());
beforeEach(() => commands.splice(0));

const body = (externalId: string) => JSON.stringify({ externalId });
const createConnectionTo = (target: URL): Socket => connect(Number(target.port), target.hostname);

describe('a rename', () => {
  it('by id costs exactly one strongly consistent GetItem and one TransactWriteItems', async () => {
    const customer = aCustomer();
    await table.put(customer);
    commands.splice(0);

    const result = await invoke(byId, byIdEvent(customer.id, body(`${customer.externalId}-by-id`)));

    expect(result.statusCode).toBe(200);
    expect(commands).toEqual([GET, TRANSACT]);
  });

  it('by externalId costs at most three calls: the uniqueness item, the customer, the transaction', async () => {
    const customer = aCustomer();
    await table.put(customer);
    commands.splice(0);

    const result = await invoke(byExternalId, byExternalIdEvent(customer.externalId, body(`${customer.externalId}-by-ext`)));

    expect(result.statusCode).toBe(200);
    expect(commands.length).toBeLessThanOrEqual(3);
    expect(commands).toEqual([GET, GET, TRANSACT]);
  });

  it('costs the same for every rename of a warm container: no read is cached into a repeat, none is repeated', async () => {
    const customer = aCustomer();
    await table.put(customer);
    commands.splice(0);

    for (let index = 1; index <= 3; index += 1) {
      expect((await invoke(byId, byIdEvent(customer.id, body(`${customer.externalId}-${index}`)))).statusCode).toBe(200);
    }
    expect(commands).toEqual([GET, TRANSACT, GET, TRANSACT, GET, TRANSACT]);
  });

  it('to a value another customer holds sends one transaction and does not retry it', async () => {
    const customer = aCustomer();
    const holder = aCustomer();
    await table.put(customer, holder);
    commands.splice(0);

    expect((await invoke(byId, byIdEvent(customer.id, body(holder.externalId)))).statusCode).toBe(409);
    expect(commands).toEqual([GET, TRANSACT]);
    commands.splice(0);
    expect((await invoke(byExternalId, byExternalIdEvent(customer.externalId, body(holder.externalId)))).statusCode).toBe(409);
    expect(commands).toEqual([GET, GET, TRANSACT]);
  });
});

describe('the same value', () => {
  it('by id reads the customer once and writes nothing', async () => {
    const customer = aCustomer();
    await table.put(customer);
    commands.splice(0);

    const result = await invoke(byId, byIdEvent(customer.id, body(customer.externalId)));

    expect(result).toMatchObject({ statusCode: 200, body: customer });
    expect(commands).toEqual([GET]);
  });

  it('by externalId reads twice and writes nothing', async () => {
    const customer = aCustomer();
    await table.put(customer);
    commands.splice(0);

    const result = await invoke(byExternalId, byExternalIdEvent(customer.externalId, body(customer.externalId)));

    expect(result).toMatchObject({ statusCode: 200, body: customer });
    expect(commands).toEqual([GET, GET]);
    expect(commands.filter((name) => WRITES.has(name))).toEqual([]);
  });
});

describe('not found', () => {
  it('by id: one read, no transaction', async () => {
    const result = await invoke(byId, byIdEvent('987654321', body('ext-anything')));

    expect(result.statusCode).toBe(404);
    expect(commands).toEqual([GET]);
  });

  it('by externalId: one read of the uniqueness item, no transaction', async () => {
    const result = await invoke(byExternalId, byExternalIdEvent('ext-nobody-holds-this', body('ext-anything')));

    expect(result.statusCode).toBe(404);
    expect(commands).toEqual([GET]);
  });
});

describe('invalid input costs no call at all', () => {
  const customer = aCustomer();
  beforeAll(() => table.put(customer));
  beforeEach(() => commands.splice(0));

  const json = { 'content-type': 'application/json' };
  const cases: [string, () => Promise<{ statusCode: number }>, number][] = [
    ['a customer_id that is not a number', () => invoke(byId, byIdEvent('abc', body('ext-new'))), 400],
    ['customer_id 0', () => invoke(byId, byIdEvent('0', body('ext-new'))), 400],
    ['a customer_id with a leading zero', () => invoke(byId, byIdEvent('042', body('ext-new'))), 400],
    ['a customer_id over the largest id', () => invoke(byId, byIdEvent('9223372036854775808', body('ext-new'))), 400],
    ['a path externalId with a leading space', () => invoke(byExternalId, byExternalIdEvent(' ext', body('ext-new'))), 400],
    ['a path externalId over 50 characters', () => invoke(byExternalId, byExternalIdEvent('x'.repeat(51), body('ext-new'))), 400],
    ['a new externalId with a control character', () => invoke(byId, byIdEvent(customer.id, body('ext\tnew'))), 400],
    ['a new externalId not in NFC', () => invoke(byExternalId, byExternalIdEvent(customer.externalId, body('cafe\u0301'))), 400],
    ['no body', () => invoke(byId, byIdEvent(customer.id)), 400],
    ['malformed JSON', () => invoke(byExternalId, byExternalIdEvent(customer.externalId, '{"externalId": ')), 400],
    ['a body without externalId', () => invoke(byId, byIdEvent(customer.id, '{}')), 400],
    ['a field other than externalId', () => invoke(byId, byIdEvent(customer.id, '{"externalId": "ext-new", "status": "Closed"}')), 400],
    ['a __proto__ key', () => invoke(byExternalId, byExternalIdEvent(customer.externalId, '{"__proto__": {}, "externalId": "ext-new"}')), 400],
    ['a body that is not UTF-8', () => invoke(byId, byIdEvent(customer.id, Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), { isBase64Encoded: true })), 400],
    ['a Content-Type that is not JSON', () => invoke(byId, byIdEvent(customer.id, body('ext-new'), { headers: { 'content-type': 'text/plain' } })), 415],
    ['no Content-Type', () => invoke(byExternalId, byExternalIdEvent(customer.externalId, body('ext-new'), { headers: {} })), 415],
    ['a gzip Content-Encoding', () => invoke(byId, byIdEvent(customer.id, body('ext-new'), { headers: { ...json, 'content-encoding': 'gzip' } })), 415],
  ];

  it.each(cases)('%s', async (_name, send, status) => {
    expect((await send()).statusCode).toBe(status);
    expect(commands).toEqual([]);
  });
});

describe('a container (functions/<form>/handler.ts)', () => {
  // A TCP proxy in front of DynamoDB Local that counts the connections the function opens.
  let proxy: Server;
  let connections = 0;
  const sockets = new Set<Socket>();
  const saved = { TABLE_NAME: process.env['TABLE_NAME'], DYNAMODB_ENDPOINT: process.env['DYNAMODB_ENDPOINT'] };

  beforeAll(async () => {
    const target = new URL(table.endpoint);
    proxy = createServer((socket) => {
      connections += 1;
      const upstream = createConnectionTo(target);
      for (const end of [socket, upstream]) {
        sockets.add(end);
        end.on('close', () => sockets.delete(end));
        end.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('builds its client once and keeps one connection for requests that come one after another', async () => {
    const customer = aCustomer();
    await table.put(customer);
    process.env['TABLE_NAME'] = table.tableName;
    process.env['DYNAMODB_ENDPOINT'] = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const { handler } = await import('../../functions/rename-by-id/handler.js');

    for (let index = 1; index <= 10; index += 1) {
      expect((await invoke(handler, byIdEvent(customer.id, body(`${customer.externalId}-c${index}`)))).statusCode).toBe(200);
    }
    // 20 calls (10 × GetItem + TransactWriteItems) over one kept-alive connection: no client or TLS set-up per request.
    expect(connections).toBe(1);
  });
});
