import { inspect } from 'node:util';
import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createRenameByExternalIdHandler } from '../../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../../functions/rename-by-id/create-handler.js';
import { createCustomerRepository } from '../../shared/customers/repository.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { aCustomer } from '../support/customers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { byExternalIdEvent, byIdEvent, lambdaContext } from '../support/events.js';
import { startSilentServer } from '../support/silent-server.js';

// Logs never contain request bodies or tokens: whatever a request carries, and however it ends,
// nothing the functions write to the console or to stdout/stderr repeats the body, the token or the header.

/** A token that could not turn up in a log by accident; its pieces are checked as well as the whole. */
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJsb2dnaW5nLXRlc3QtY2FsbGVyIn0.TOKENSIGqZ7xW9vLk3';
const AUTHORIZATION = `Bearer ${TOKEN}`;
/** Every externalId a body carries starts with this, so any body value that reaches a log is caught. */
const BODY_MARKER = 'ext-bodysecret';

let bodyCount = 0;
const secretExternalId = () => `${BODY_MARKER}-${(bodyCount += 1)}`;
const bodyWith = (externalId: string) => JSON.stringify({ externalId });

const CONSOLE_METHODS = [
  'log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'dirxml', 'table', 'assert',
  'count', 'countReset', 'group', 'groupCollapsed', 'groupEnd', 'time', 'timeLog', 'timeEnd',
] as const;

interface Captured {
  /** One entry per console call or stream write, as the text it would have printed. */
  entries: { via: string; text: string }[];
  restore(): void;
}

const show = (value: unknown) => (typeof value === 'string' ? value : inspect(value, { depth: 20, showHidden: true }));

/** Replaces every console method and both output streams with recorders, for the span of one invocation. */
const captureOutput = (): Captured => {
  const entries: Captured['entries'] = [];
  const spies: { mockRestore(): void }[] = [];
  const target = console as unknown as Record<string, (...args: unknown[]) => void>;
  for (const method of CONSOLE_METHODS) {
    if (typeof target[method] !== 'function') continue;
    spies.push(
      jest.spyOn(target, method).mockImplementation((...args: unknown[]) => {
        entries.push({ via: `console.${method}`, text: args.map(show).join(' ') });
      }),
    );
  }
  for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
    spies.push(
      jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
        entries.push({ via: `process.${name}.write`, text: show(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk) });
        return true;
      }),
    );
  }
  return { entries, restore: () => spies.forEach((spy) => spy.mockRestore()) };
};

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

interface Outcome {
  statusCode: number;
  logged: Captured['entries'];
  context: Context;
}

/** Invokes a handler with the token in the Authorization header, recording everything written meanwhile. */
const invokeCapturing = async (handler: Handler, event: APIGatewayProxyEventV2, context = lambdaContext()): Promise<Outcome> => {
  const captured = captureOutput();
  try {
    const result = (await handler(event, context)) as { statusCode: number };
    return { statusCode: result.statusCode, logged: captured.entries, context };
  } finally {
    captured.restore();
  }
};

const headers = (contentType = 'application/json') => ({ 'content-type': contentType, authorization: AUTHORIZATION });

/** Neither the token (whole or in part), nor the header, nor the raw body, nor any value from it. */
const expectNoSecrets = (logged: Captured['entries'], rawBody: string) => {
  const text = logged.map((entry) => entry.text).join('\n');
  for (const secret of [TOKEN, ...TOKEN.split('.'), AUTHORIZATION, rawBody, BODY_MARKER]) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/authorization|bearer/i);
};

/** A 5xx is logged as exactly one structured line on console.error: error name and request id, no more. */
const expectOneStructuredErrorLine = ({ logged, context }: Outcome) => {
  expect(logged.map((entry) => entry.via)).toEqual(['console.error']);
  const line = logged[0]!.text;
  expect(line).not.toContain('\n');
  const parsed = JSON.parse(line) as Record<string, unknown>;
  expect(parsed).toMatchObject({ level: 'error', requestId: context.awsRequestId, errorName: expect.stringMatching(/^\w+$/) });
  // No stack trace, which could carry values from the frames' arguments in some runtimes.
  expect(line).not.toMatch(/\n\s+at |\.ts:\d+/);
};

let table: TestTable;
let byId: Handler;
let byExternalId: Handler;

beforeAll(async () => {
  table = await createTestTable();
  const dependencies = { repository: createCustomerRepository(table.client, table.tableName) };
  byId = createRenameByIdHandler(dependencies);
  byExternalId = createRenameByExternalIdHandler(dependencies);
});
afterAll(() => table.drop());

describe.each([
  ['by id', () => byId, (customer: { id: string }, body: string, contentType?: string) => byIdEvent(customer.id, body, { headers: headers(contentType) })],
  [
    'by externalId',
    () => byExternalId,
    (customer: { externalId: string }, body: string, contentType?: string) =>
      byExternalIdEvent(customer.externalId, body, { headers: headers(contentType) }),
  ],
])('rename %s', (_form, handler, event) => {
  it('logs nothing of the request on success', async () => {
    const customer = aCustomer();
    await table.put(customer);
    const body = bodyWith(secretExternalId());

    const outcome = await invokeCapturing(handler(), event(customer, body));

    expect(outcome.statusCode).toBe(200);
    expectNoSecrets(outcome.logged, body);
  });

  it.each([
    ['400 for JSON that does not parse', () => `{"externalId": "${secretExternalId()}", ${AUTHORIZATION}`, undefined, 400],
    ['400 for an externalId that breaks the rule', () => bodyWith(`${secretExternalId()}\u0000\u202E`), undefined, 400],
    ['400 for a body with a key besides externalId', () => JSON.stringify({ externalId: secretExternalId(), [BODY_MARKER]: TOKEN }), undefined, 400],
    ['400 for a body that is not an object', () => JSON.stringify([secretExternalId(), TOKEN]), undefined, 400],
    ['415 for a body that is not JSON', () => `externalId=${secretExternalId()}&token=${TOKEN}`, 'application/x-www-form-urlencoded', 415],
  ])('logs nothing of the request on %s', async (_case, makeBody, contentType, status) => {
    const customer = aCustomer();
    await table.put(customer);
    const body = makeBody();

    const outcome = await invokeCapturing(handler(), event(customer, body, contentType));

    expect(outcome.statusCode).toBe(status);
    expectNoSecrets(outcome.logged, body);
  });

  it('logs nothing of the request on 404', async () => {
    const body = bodyWith(secretExternalId());

    const outcome = await invokeCapturing(handler(), event({ id: '9223372036854775806', externalId: 'ext-nobody-here' }, body));

    expect(outcome.statusCode).toBe(404);
    expectNoSecrets(outcome.logged, body);
  });

  it('logs nothing of the request on 409', async () => {
    const holder = aCustomer({ externalId: secretExternalId() });
    const customer = aCustomer();
    await table.put(holder, customer);
    const body = bodyWith(holder.externalId);

    const outcome = await invokeCapturing(handler(), event(customer, body));

    expect(outcome.statusCode).toBe(409);
    expectNoSecrets(outcome.logged, body);
  });

  it('logs one structured line, and nothing of the request, on 500', async () => {
    const broken = createRenameByIdHandler({ repository: createCustomerRepository(table.client, 'no-such-table-for-logging') });
    const brokenByExternalId = createRenameByExternalIdHandler({
      repository: createCustomerRepository(table.client, 'no-such-table-for-logging'),
    });
    const body = bodyWith(secretExternalId());
    const customer = aCustomer();

    const outcome = await invokeCapturing(handler() === byId ? broken : brokenByExternalId, event(customer, body));

    expect(outcome.statusCode).toBe(500);
    expectNoSecrets(outcome.logged, body);
    expectOneStructuredErrorLine(outcome);
  });

  it('logs one structured line, and nothing of the request, on 503 when DynamoDB cannot be reached', async () => {
    const client = createDocumentClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1' });
    const repository = createCustomerRepository(client, table.tableName);
    const offline = handler() === byId ? createRenameByIdHandler({ repository }) : createRenameByExternalIdHandler({ repository });
    const body = bodyWith(secretExternalId());

    try {
      const outcome = await invokeCapturing(offline, event(aCustomer(), body));

      expect(outcome.statusCode).toBe(503);
      expectNoSecrets(outcome.logged, body);
      expectOneStructuredErrorLine(outcome);
    } finally {
      client.destroy();
    }
  });
});

it('logs one structured line, and nothing of the request, on 503 when DynamoDB hangs past the deadline', async () => {
  const silent = await startSilentServer();
  const client = createDocumentClient({ endpoint: silent.endpoint, region: 'us-east-1' });
  const hung = createRenameByIdHandler({ repository: createCustomerRepository(client, table.tableName) });
  const body = bodyWith(secretExternalId());
  const deadline = Date.now() + 1_500;
  const context = { ...lambdaContext(), awsRequestId: 'aws-request-hung', getRemainingTimeInMillis: () => deadline - Date.now() };

  try {
    const outcome = await invokeCapturing(hung, byIdEvent('42', body, { headers: headers() }), context);

    expect(outcome.statusCode).toBe(503);
    expectNoSecrets(outcome.logged, body);
    expectOneStructuredErrorLine(outcome);
  } finally {
    client.destroy();
    await silent.close();
  }
});

it('catches a leak: a handler that logs its event, through the console or a stream, fails the checks', async () => {
  const body = bodyWith(secretExternalId());
  const leaky: Handler[] = [
    async (event) => (console.log('event', event), { statusCode: 200 }),
    async (event) => (console.debug(JSON.stringify(event.headers)), { statusCode: 200 }),
    async (event) => (process.stdout.write(`${event.body}\n`), { statusCode: 200 }),
  ];
  for (const handler of leaky) {
    const outcome = await invokeCapturing(handler, byIdEvent('42', body, { headers: headers() }));
    expect(outcome.logged).toHaveLength(1);
    expect(() => expectNoSecrets(outcome.logged, body)).toThrow();
  }
});

it('catches a leak: the checks above fail on a log line that repeats the header or the body', () => {
  const body = bodyWith(secretExternalId());
  const leaks = [AUTHORIZATION, TOKEN.split('.')[1]!, body, JSON.parse(body).externalId as string, `authorization: x`];
  for (const leak of leaks) {
    expect(() => expectNoSecrets([{ via: 'console.log', text: `request ${leak}` }], body)).toThrow();
  }
});
