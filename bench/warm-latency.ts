import type { Server } from 'node:http';
import { DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLocalServer } from '../local/server.js';
import {
  apiEvent,
  benchCustomer,
  byIdPath,
  httpClient,
  invokeStatus,
  ms,
  msSince,
  ratio,
  renameBody,
  ROUTE_BY_ID,
  seedCustomers,
  summarize,
  type LambdaHandler,
  type SectionResult,
} from './support.js';

export interface WarmOptions {
  client: DynamoDBDocumentClient;
  endpoint: string;
  tableName: string;
  /** Renames measured on each side (production handler, raw SDK). */
  renames: number;
  /** Renames per side before measuring: JIT, connection pool, DynamoDB Local's own warm-up. */
  warmup: number;
  /** Renames in a row on one side before switching to the other. */
  block: number;
  /** Requests measured for each HTTP figure. */
  httpRequests: number;
  /** The production handlers, imported from functions/<form>/handler.ts. */
  byId: LambdaHandler;
  byExternalId: LambdaHandler;
}

const TOKEN = 'bench-token';

/**
 * The floor: the same two calls the product makes for a rename by id (a strongly consistent GetItem of the customer,
 * then the three-action TransactWriteItems with the same conditions), written by hand against the low-level client,
 * with attribute values already in DynamoDB's wire shape and nothing checked beyond what the write needs.
 */
const rawRenamer = (endpoint: string, tableName: string) => {
  const raw = new DynamoDBClient({ endpoint });
  const rename = async (id: string, next: string): Promise<void> => {
    const customerKey = { pk: { S: `CUSTOMER#${id}` } };
    const { Item } = await raw.send(new GetItemCommand({ TableName: tableName, Key: customerKey, ConsistentRead: true }));
    const old = Item?.['externalId']?.S;
    if (Item === undefined || old === undefined) throw new Error(`raw rename: customer ${id} not found`);
    const displayName = [next, Item['middlename']?.S, Item['lastname']?.S].filter((name) => name !== undefined && name !== '').join(' ');
    await raw.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Delete: {
              TableName: tableName,
              Key: { pk: { S: `EXTERNAL_ID#${old}` } },
              ConditionExpression: 'customerId = :customerId',
              ExpressionAttributeValues: { ':customerId': { S: id } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: { pk: { S: `EXTERNAL_ID#${next}` }, type: { S: 'ExternalId' }, customerId: { S: id } },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': 'pk' },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: customerKey,
              UpdateExpression: 'SET externalId = :newExternalId, firstname = :firstname, displayName = :displayName',
              ConditionExpression: 'attribute_exists(#pk) AND externalId = :oldExternalId',
              ExpressionAttributeNames: { '#pk': 'pk' },
              ExpressionAttributeValues: {
                ':newExternalId': { S: next },
                ':firstname': { S: next },
                ':displayName': { S: displayName },
                ':oldExternalId': { S: old },
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      }),
    );
  };
  return { rename, destroy: () => raw.destroy() };
};

/** Hands out customers round-robin and a never-used value for each rename. */
const renameTargets = (ids: readonly string[], label: string) => {
  let turn = 0;
  return () => {
    turn += 1;
    return { id: ids[turn % ids.length]!, next: `bench-${label}-${turn}` };
  };
};

/** Target 2: warm latency, the production handler in-process against the raw SDK floor, then the same over HTTP. */
export const measureWarmLatency = async (options: WarmOptions): Promise<SectionResult> => {
  const { client, endpoint, tableName, renames, warmup, block, httpRequests, byId, byExternalId } = options;
  const productCustomers = Array.from({ length: 32 }, () => benchCustomer('warm-p'));
  const rawCustomers = Array.from({ length: 32 }, () => benchCustomer('warm-r'));
  const httpCustomers = Array.from({ length: 32 }, () => benchCustomer('warm-h'));
  await seedCustomers(client, tableName, [...productCustomers, ...rawCustomers, ...httpCustomers]);

  const raw = rawRenamer(endpoint, tableName);
  const nextProduct = renameTargets(productCustomers.map(({ id }) => id), 'warm-p');
  const nextRaw = renameTargets(rawCustomers.map(({ id }) => id), 'warm-r');
  let productErrors = 0;

  const productOnce = async (): Promise<number> => {
    const { id, next } = nextProduct();
    // Building the event is API Gateway's and Lambda's work, not the function's: it happens before the clock starts.
    const event = apiEvent(ROUTE_BY_ID, id, renameBody(next));
    const start = process.hrtime.bigint();
    const status = await invokeStatus(byId, event);
    const elapsed = msSince(start);
    if (status !== 200) productErrors += 1;
    return elapsed;
  };
  const rawOnce = async (): Promise<number> => {
    const { id, next } = nextRaw();
    const start = process.hrtime.bigint();
    await raw.rename(id, next);
    return msSince(start);
  };

  const product: number[] = [];
  const floor: number[] = [];
  let http: { rename: number[]; inProcess: number[]; unauthorized: number[]; invalid: number[]; errors: number } | undefined;
  let server: Server | undefined;
  try {
    for (let index = 0; index < warmup; index += 1) {
      await productOnce();
      await rawOnce();
    }
    productErrors = 0;
    // Alternating blocks, the order flipped every other block, so drift (GC, DynamoDB Local's JIT, other load)
    // falls on both sides alike.
    for (let done = 0, round = 0; done < renames; done += block, round += 1) {
      const size = Math.min(block, renames - done);
      const sides: [() => Promise<number>, number[]][] = [
        [productOnce, product],
        [rawOnce, floor],
      ];
      if (round % 2 === 1) sides.reverse();
      for (const [once, into] of sides) for (let index = 0; index < size; index += 1) into.push(await once());
    }

    // The same handlers behind the local HTTP server, with one keep-alive connection, interleaved with in-process
    // renames (so the difference is what HTTP adds) and two requests that never reach DynamoDB: one the server
    // refuses itself (no token: 401), one the function refuses (bad id: 400).
    server = createLocalServer({ byId, byExternalId, token: TOKEN });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const connection = httpClient(port, 1);
    const nextHttp = renameTargets(httpCustomers.map(({ id }) => id), 'warm-h');
    const results = { rename: [] as number[], inProcess: [] as number[], unauthorized: [] as number[], invalid: [] as number[], errors: 0 };
    const timed = async (send: () => Promise<{ status: number }>, expected: number, into: number[] | undefined) => {
      const start = process.hrtime.bigint();
      const { status } = await send();
      const elapsed = msSince(start);
      if (status !== expected) results.errors += 1;
      into?.push(elapsed);
    };
    const httpRename = (into?: number[]) => {
      const { id, next } = nextHttp();
      return timed(() => connection.put(byIdPath(id), renameBody(next), TOKEN), 200, into);
    };
    const httpUnauthorized = (into?: number[]) => timed(() => connection.put(byIdPath('1'), renameBody('bench-x'), undefined), 401, into);
    const httpInvalid = (into?: number[]) => timed(() => connection.put(byIdPath('abc'), renameBody('bench-x'), TOKEN), 400, into);
    for (let index = 0; index < Math.max(20, warmup / 4); index += 1) {
      await httpRename();
      await httpUnauthorized();
      await httpInvalid();
    }
    results.errors = 0;
    for (let done = 0; done < httpRequests; done += block) {
      const size = Math.min(block, httpRequests - done);
      for (let index = 0; index < size; index += 1) await httpRename(results.rename);
      for (let index = 0; index < size; index += 1) results.inProcess.push(await productOnce());
      for (let index = 0; index < size; index += 1) await httpUnauthorized(results.unauthorized);
      for (let index = 0; index < size; index += 1) await httpInvalid(results.invalid);
    }
    connection.close();
    http = results;
  } finally {
    raw.destroy();
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
  }

  const productSummary = summarize(product);
  const floorSummary = summarize(floor);
  const warmRatio = productSummary.median / floorSummary.median;
  if (http === undefined) throw new Error('the HTTP measurement did not run');
  const httpRename = summarize(http.rename);
  const httpInProcess = summarize(http.inProcess);
  const signed = (value: number) => `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
  const httpUnauthorized = summarize(http.unauthorized);
  const httpInvalid = summarize(http.invalid);
  const section = 'Warm latency';
  return {
    rows: [
      {
        section,
        measure: `rename by id, production handler in-process (median of ${product.length})`,
        figure: `${ms(productSummary.median)} (p90 ${ms(productSummary.p90)})${productErrors > 0 ? `; ${productErrors} not 200` : ''}`,
        target: 'every answer 200',
        pass: productErrors === 0,
      },
      {
        section,
        measure: `same calls, raw DynamoDBClient (median of ${floor.length})`,
        figure: `${ms(floorSummary.median)} (p90 ${ms(floorSummary.p90)})`,
        target: '(the floor)',
        pass: null,
      },
      {
        section,
        measure: 'handler ÷ raw SDK, medians',
        figure: ratio(warmRatio),
        target: '≤ 1.15×',
        pass: warmRatio <= 1.15 && product.length >= renames,
      },
      {
        section,
        measure: `rename by id via the local HTTP server (median of ${http.rename.length})`,
        figure: `${ms(httpRename.median)}, in-process meanwhile ${ms(httpInProcess.median)} (${signed(httpRename.median - httpInProcess.median)})${http.errors + productErrors > 0 ? `; ${http.errors + productErrors} unexpected answers` : ''}`,
        target: '(reported)',
        pass: http.errors + productErrors === 0 ? null : false,
      },
      {
        section,
        measure: 'HTTP round trip refused by the server, no token (401)',
        figure: ms(httpUnauthorized.median),
        target: '(reported: HTTP alone)',
        pass: null,
      },
      {
        section,
        measure: 'HTTP round trip refused by the function, bad id (400)',
        figure: ms(httpInvalid.median),
        target: '(reported: HTTP + function)',
        pass: null,
      },
    ],
    details: {
      renamesPerSide: renames,
      warmup,
      block,
      productionHandlerMs: productSummary,
      rawSdkMs: floorSummary,
      ratio: warmRatio,
      productErrors,
      http: {
        renameMs: httpRename,
        inProcessMeanwhileMs: httpInProcess,
        refusedByServer401Ms: httpUnauthorized,
        refusedByFunction400Ms: httpInvalid,
        unexpectedAnswers: http.errors,
      },
    },
  };
};
