import { Agent, request } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Customer } from '../shared/customers/customer.js';
import { writeCustomerIfAbsent } from '../local/write-customer.js';

// ---------------------------------------------------------------------------------------------- results

/** One line of the printed table: a figure, its target, and whether it is met (null: reported, no target). */
export interface Row {
  section: string;
  measure: string;
  figure: string;
  target: string;
  pass: boolean | null;
}

/** What each measurement hands back: its rows, and the raw numbers for the JSON file. */
export interface SectionResult {
  rows: Row[];
  details: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------- statistics

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
  p99: number;
  mean: number;
}

const quantile = (sorted: readonly number[], q: number): number => {
  if (sorted.length === 0) return Number.NaN;
  // Nearest rank, so every figure is a value that was really measured.
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
};

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export const summarize = (values: readonly number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    n: sorted.length,
    median: round(median(sorted)),
    p10: round(quantile(sorted, 0.1)),
    p90: round(quantile(sorted, 0.9)),
    p99: round(quantile(sorted, 0.99)),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length)),
  };
};

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export const ms = (value: number, digits = 2) => `${value.toFixed(digits)} ms`;
export const ratio = (value: number) => `${value.toFixed(3)}×`;
export const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

// ---------------------------------------------------------------------------------------------- customers

let sequence = 0;

/** A customer in the create-time shape, with an id and externalId that no other bench customer has. */
export const benchCustomer = (label: string): Customer => {
  sequence += 1;
  const id = String(900_000 + sequence);
  const externalId = `bench-${label}-${sequence}`;
  return {
    id,
    accountNo: id.padStart(9, '0'),
    externalId,
    status: 'Active',
    active: true,
    officeId: '1',
    officeName: 'Head Office',
    firstname: externalId,
    lastname: 'Customer',
    displayName: `${externalId} Customer`,
    activationDate: '2026-05-25',
  };
};

/** Writes customers (each with its uniqueness item) a few at a time. */
export const seedCustomers = async (client: DynamoDBDocumentClient, tableName: string, customers: readonly Customer[]): Promise<void> => {
  for (let start = 0; start < customers.length; start += 16) {
    await Promise.all(customers.slice(start, start + 16).map((customer) => writeCustomerIfAbsent(client, tableName, customer)));
  }
};

// ---------------------------------------------------------------------------------------------- Lambda events

export const ROUTE_BY_ID = 'PUT /v1/customers/{customer_id}';
export const ROUTE_BY_EXTERNAL_ID = 'PUT /v1/customers/external/{customer_external_id}';

let requestNumber = 0;

/** An API Gateway HTTP API payload 2.0 event, as Lambda hands it to the function (header names lowercased). */
export const apiEvent = (
  route: typeof ROUTE_BY_ID | typeof ROUTE_BY_EXTERNAL_ID,
  pathValue: string,
  body: string | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): APIGatewayProxyEventV2 => {
  requestNumber += 1;
  const byId = route === ROUTE_BY_ID;
  const rawPath = byId ? `/v1/customers/${encodeURIComponent(pathValue)}` : `/v1/customers/external/${encodeURIComponent(pathValue)}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: route,
    rawPath,
    rawQueryString: '',
    headers: { host: 'api.example.com', 'user-agent': 'bench', authorization: 'Bearer bench', ...headers },
    pathParameters: byId ? { customer_id: pathValue } : { customer_external_id: pathValue },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'PUT', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: `bench-${requestNumber}`,
      routeKey: route,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
};

/** A Lambda context with the stack's 10 s timeout, so Middy arms its early-answer timer as it does in AWS. */
export const lambdaContext = (): Context => {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    memoryLimitInMB: '1024',
    awsRequestId: `bench-${requestNumber}`,
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** Invokes a handler and returns its status code. */
export const invokeStatus = async (handler: LambdaHandler, event: APIGatewayProxyEventV2): Promise<number> => {
  const result = (await handler(event, lambdaContext())) as { statusCode?: number };
  return result.statusCode ?? 0;
};

export const renameBody = (externalId: string) => JSON.stringify({ externalId });

// ---------------------------------------------------------------------------------------------- HTTP client

export interface HttpAnswer {
  status: number;
  body: string;
}

/** A keep-alive client for the local server on 127.0.0.1, as an API client with a connection pool would be. */
export const httpClient = (port: number, maxSockets: number) => {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const put = (path: string, body: string, token: string | undefined): Promise<HttpAnswer> =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(body);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path,
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': payload.length,
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', reject);
      req.end(payload);
    });
  return { put, close: () => agent.destroy() };
};

export const byIdPath = (id: string) => `/v1/customers/${encodeURIComponent(id)}`;
export const byExternalIdPath = (externalId: string) => `/v1/customers/external/${encodeURIComponent(externalId)}`;
