import { Agent, createServer, request, type Server } from 'node:http';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRenameByExternalIdHandler } from '../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../functions/rename-by-id/create-handler.js';
import { dependenciesFromEnvironment } from '../shared/dependencies.js';
import {
  apiEvent,
  benchCustomer,
  invokeStatus,
  renameBody,
  ROUTE_BY_EXTERNAL_ID,
  ROUTE_BY_ID,
  seedCustomers,
  type LambdaHandler,
  type Row,
  type SectionResult,
} from './support.js';

/**
 * A counting endpoint: a proxy on 127.0.0.1 in front of DynamoDB Local that records the operation of every HTTP
 * request the SDK sends (its X-Amz-Target header), retries included, and forwards it unchanged.
 */
const startCountingProxy = async (target: string) => {
  const { hostname, port } = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const operations: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const operation = String(incoming.headers['x-amz-target'] ?? 'unknown').replace(/^DynamoDB_\d+\./, '');
    operations.push(operation);
    const forward = request({ host: hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    operations,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

interface RequestType {
  name: string;
  /** The answer the request must get, so a count is never taken from a request that did something else. */
  status: number;
  target: string;
  check: (operations: readonly string[]) => boolean;
  /** Sends one request of this type through the handler and returns its status. */
  send: () => Promise<number>;
}

const count = (operations: readonly string[], operation: string) => operations.filter((name) => name === operation).length;
const WRITES = ['TransactWriteItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const writes = (operations: readonly string[]) => operations.filter((name) => WRITES.includes(name)).length;

/** Names the calls as a list with counts, e.g. "GetItem + TransactWriteItems (2)". */
const describeCalls = (operations: readonly string[]) => (operations.length === 0 ? 'none (0)' : `${operations.join(' + ')} (${operations.length})`);

export interface CallCountOptions {
  client: DynamoDBDocumentClient;
  endpoint: string;
  tableName: string;
  repeats: number;
}

/** Target 1: the DynamoDB calls each kind of request makes, counted at a proxy in front of DynamoDB Local. */
export const measureCallCounts = async ({ client, endpoint, tableName, repeats }: CallCountOptions): Promise<SectionResult> => {
  const proxy = await startCountingProxy(endpoint);
  try {
    // The production factories with the production wiring (dependencies.ts), pointed at the counting proxy.
    const dependencies = dependenciesFromEnvironment({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: proxy.endpoint });
    const byId: LambdaHandler = createRenameByIdHandler(dependencies);
    const byExternalId: LambdaHandler = createRenameByExternalIdHandler(dependencies);

    // One customer per rename (by id, by externalId, taken), and one that is never renamed.
    const customers = Array.from({ length: repeats * 3 + 1 }, () => benchCustomer('calls'));
    await seedCustomers(client, tableName, customers);
    const holder = customers[customers.length - 1]!;
    let next = 0;
    const fresh = () => customers[next++]!;
    let renameNumber = 0;
    const newValue = () => `bench-calls-renamed-${(renameNumber += 1)}`;

    const types: RequestType[] = [
      {
        name: 'rename by id',
        status: 200,
        target: 'exactly GetItem + TransactWriteItems (2)',
        check: (ops) => ops.length === 2 && ops[0] === 'GetItem' && ops[1] === 'TransactWriteItems',
        send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, fresh().id, renameBody(newValue()))),
      },
      {
        name: 'rename by externalId',
        status: 200,
        target: '≤ 3 calls, one TransactWriteItems',
        check: (ops) => ops.length <= 3 && count(ops, 'TransactWriteItems') === 1 && writes(ops) === 1,
        send: () => invokeStatus(byExternalId, apiEvent(ROUTE_BY_EXTERNAL_ID, fresh().externalId, renameBody(newValue()))),
      },
      {
        name: 'same value by id',
        status: 200,
        target: 'reads only (0 writes)',
        check: (ops) => writes(ops) === 0 && ops.every((name) => name === 'GetItem'),
        send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, holder.id, renameBody(holder.externalId))),
      },
      {
        name: 'same value by externalId',
        status: 200,
        target: 'reads only (0 writes)',
        check: (ops) => writes(ops) === 0 && ops.every((name) => name === 'GetItem'),
        send: () => invokeStatus(byExternalId, apiEvent(ROUTE_BY_EXTERNAL_ID, holder.externalId, renameBody(holder.externalId))),
      },
      {
        name: 'not found by id',
        status: 404,
        target: 'no TransactWriteItems',
        check: (ops) => writes(ops) === 0,
        send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, '8999999999', renameBody(newValue()))),
      },
      {
        name: 'not found by externalId',
        status: 404,
        target: 'no TransactWriteItems',
        check: (ops) => writes(ops) === 0,
        send: () => invokeStatus(byExternalId, apiEvent(ROUTE_BY_EXTERNAL_ID, 'bench-nobody-holds-this', renameBody(newValue()))),
      },
      {
        name: 'new externalId taken',
        status: 409,
        target: 'one TransactWriteItems, not retried',
        check: (ops) => count(ops, 'TransactWriteItems') === 1 && writes(ops) === 1,
        send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, fresh().id, renameBody(holder.externalId))),
      },
    ];
    // Every refusal the handlers make before DynamoDB, one request each per repeat.
    const invalid: { name: string; send: () => Promise<number> }[] = [
      { name: 'customer_id not a number', send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, 'abc', renameBody('bench-x'))) },
      { name: 'customer_id 0', send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, '0', renameBody('bench-x'))) },
      { name: 'path externalId breaks the rule', send: () => invokeStatus(byExternalId, apiEvent(ROUTE_BY_EXTERNAL_ID, ' padded ', renameBody('bench-x'))) },
      { name: 'new externalId breaks the rule', send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, holder.id, renameBody('tab\there'))) },
      { name: 'body not JSON', send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, holder.id, '{"externalId":')) },
      { name: 'body without externalId', send: () => invokeStatus(byExternalId, apiEvent(ROUTE_BY_EXTERNAL_ID, holder.externalId, '{}')) },
      { name: 'unknown field', send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, holder.id, '{"externalId":"bench-y","status":"Closed"}')) },
      { name: 'no body', send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, holder.id, undefined)) },
      { name: 'not JSON content type', send: () => invokeStatus(byId, apiEvent(ROUTE_BY_ID, holder.id, renameBody('bench-z'), { 'content-type': 'text/plain' })) },
    ];

    const observe = async (send: () => Promise<number>) => {
      const before = proxy.operations.length;
      const status = await send();
      return { status, operations: proxy.operations.slice(before) };
    };

    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    for (const type of types) {
      const observed: { status: number; operations: string[] }[] = [];
      for (let index = 0; index < repeats; index += 1) observed.push(await observe(type.send));
      const wrongStatus = observed.filter(({ status }) => status !== type.status);
      const failed = observed.filter(({ operations }) => !type.check(operations));
      const shapes = [...new Set(observed.map(({ operations }) => describeCalls(operations)))];
      const pass = wrongStatus.length === 0 && failed.length === 0;
      rows.push({
        section: 'DynamoDB calls',
        measure: `${type.name} (${type.status}, ×${repeats})`,
        figure: shapes.join(' | ') + (wrongStatus.length > 0 ? `; ${wrongStatus.length} answered ${wrongStatus[0]?.status}` : ''),
        target: type.target,
        pass,
      });
      details[type.name] = { expectedStatus: type.status, observed: shapes, wrongStatus: wrongStatus.length, failedCheck: failed.length };
    }

    const invalidObserved: { name: string; status: number; calls: number }[] = [];
    for (let index = 0; index < repeats; index += 1) {
      for (const { name, send } of invalid) {
        const { status, operations } = await observe(send);
        invalidObserved.push({ name, status, calls: operations.length });
      }
    }
    const calls = invalidObserved.reduce((sum, { calls: made }) => sum + made, 0);
    const not4xx = invalidObserved.filter(({ status }) => status < 400 || status >= 500);
    rows.push({
      section: 'DynamoDB calls',
      measure: `invalid input (${invalid.length} kinds, 400/415, ×${repeats})`,
      figure: `${calls} calls in ${invalidObserved.length} requests`,
      target: '0 calls',
      pass: calls === 0 && not4xx.length === 0,
    });
    details['invalid input'] = {
      kinds: invalid.map(({ name }) => name),
      requests: invalidObserved.length,
      calls,
      statuses: [...new Set(invalidObserved.map(({ status }) => status))],
    };
    return { rows, details };
  } finally {
    await proxy.close();
  }
};
