/**
 * `npm start`: the API on http://localhost:3000 backed by DynamoDB Local, seeded from local/customers.json.
 * Settings (environment): PORT (3000), DYNAMODB_LOCAL_PORT (8000; 0 for any free port), API_TOKEN (local-dev-token), TABLE_NAME (customers),
 * SEED_FILE (local/customers.json), DYNAMODB_ENDPOINT (unset: start an in-memory DynamoDB Local).
 * A setting that is set but empty (API_TOKEN="", PORT="") counts as unset and keeps its default.
 * A DYNAMODB_ENDPOINT on an AWS domain (see aws-endpoint.ts) is refused: seeding writes customers.
 *
 * Order: the port is bound first, so a busy port fails before Java starts; until DynamoDB Local is up and seeded
 * the routes answer 503 unavailable. DynamoDB Local runs in its own process group, so the terminal's Ctrl-C reaches
 * only this process, which then stops: SIGINT, SIGTERM or SIGHUP closes the listeners, lets the requests in flight
 * finish (up to DRAIN_MS), drops the remaining connections, stops DynamoDB Local and exits.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRenameByExternalIdHandler } from '../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../functions/rename-by-id/create-handler.js';
import { ConfigError, readConfig } from '../shared/config.js';
import { createCustomerRepository } from '../shared/customers/repository.js';
import { createDocumentClient } from '../shared/dynamodb/client.js';
import { errorResponse } from '../shared/http/errors.js';
import { isAwsEndpoint } from './aws-endpoint.js';
import { useLocalAwsDefaults } from './credentials.js';
import { JavaMissingError, startDynamoDbLocal, type RunningDynamoDb } from './dynamodb-local.js';
import { DEFAULT_SEED_FILE, loadSeedFile, SeedFileError, seedTable } from './seed.js';
import { createLocalServer, type LambdaHttpHandler } from './server.js';
import { ensureTable } from './table.js';

/** A failure whose message says everything; printed without a stack trace. */
class StartError extends Error {
  override name = 'StartError';
}

// RFC 7235 token68, which also keeps the printed curl example safe to paste into a shell.
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

const readSettings = (env: NodeJS.ProcessEnv) => {
  const portText = env['PORT'] || '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new StartError(`PORT ${JSON.stringify(portText)} is not a port number (0-65535).`);
  const token = env['API_TOKEN'] || 'local-dev-token';
  if (!TOKEN68.test(token)) {
    throw new StartError('API_TOKEN may hold only letters, digits and - . _ ~ + / (and = at the end), as a bearer token does.');
  }
  const config = readConfig({ TABLE_NAME: env['TABLE_NAME'] || 'customers', DYNAMODB_ENDPOINT: env['DYNAMODB_ENDPOINT'] });
  if (config.dynamodbEndpoint !== undefined && isAwsEndpoint(config.dynamodbEndpoint)) {
    // Seeding writes customers; a local tool must never do that to a real AWS table.
    throw new StartError(`DYNAMODB_ENDPOINT ${config.dynamodbEndpoint} is an AWS endpoint; npm start only works against DynamoDB Local.`);
  }
  // A fixed port by default, so that `npm run integrity-check` finds the engine without being told where.
  const enginePortText = env['DYNAMODB_LOCAL_PORT'] || '8000';
  const dynamodbLocalPort = Number(enginePortText);
  if (!/^\d+$/.test(enginePortText) || dynamodbLocalPort > 65_535) {
    throw new StartError(`DYNAMODB_LOCAL_PORT ${JSON.stringify(enginePortText)} is not a port number (0 for any free port).`);
  }
  return { port, token, ...config, dynamodbLocalPort, seedFile: env['SEED_FILE'] || DEFAULT_SEED_FILE };
};

/** How long a stop waits for the requests in flight before it drops their connections. */
const DRAIN_MS = 5_000;

let dynamodbStarting: Promise<RunningDynamoDb | undefined> | undefined;
const servers: Server[] = [];
const inFlight = new Set<ServerResponse>();
let stopping: Promise<void> | undefined;
let stopRequestedAt = 0;
let dropConnectionsNow: () => void = () => undefined;

/** Stops accepting, lets the requests in flight finish for up to DRAIN_MS, then drops whatever connection is left. */
const closeServers = async () => {
  const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  // Keep-alive connections with no request in flight go now; the others get `Connection: close` on their answer.
  const closeIdle = () => servers.forEach((server) => server.closeIdleConnections());
  closeIdle();
  if (inFlight.size > 0) console.log(`Stopping: waiting up to ${DRAIN_MS / 1000} s for ${inFlight.size} request(s) in flight.`);
  const sweep = setInterval(closeIdle, 100);
  const timeout = new AbortController();
  const dropNow = new Promise<void>((resolve) => (dropConnectionsNow = resolve));
  await Promise.race([closed, dropNow, sleep(DRAIN_MS, undefined, { signal: timeout.signal }).catch(() => undefined)]);
  timeout.abort();
  clearInterval(sweep);
  if (inFlight.size > 0) console.log(`Stopping: dropping ${inFlight.size} request(s) still in flight.`);
  for (const server of servers) server.closeAllConnections();
};

/** The one way out: close the servers, stop the DynamoDB Local this process started, exit. */
const shutdown = (exitCode: number): Promise<void> => {
  stopping ??= (async () => {
    await closeServers();
    const dynamodb = await dynamodbStarting?.catch(() => undefined);
    await dynamodb?.stop();
    process.exit(exitCode);
  })();
  return stopping;
};

const fail = (error: unknown) => {
  const plain = [StartError, ConfigError, SeedFileError, JavaMissingError].some((type) => error instanceof type);
  console.error(plain ? (error as Error).message : error);
  void shutdown(1);
};

const onStopSignal = () => {
  // npm forwards the terminal's Ctrl-C too, so the same signal can arrive twice at once: that one does not count.
  // A second Ctrl-C a moment later means "now": the requests in flight are dropped.
  if (stopping !== undefined && Date.now() - stopRequestedAt > 1_000) dropConnectionsNow();
  if (stopping === undefined) stopRequestedAt = Date.now();
  void shutdown(0);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onStopSignal);
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const ensurePortFree = async (port: number) => {
  // Something already answering there would look like our engine starting, and get seeded by mistake.
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new StartError(
              `Port ${port} is already in use on localhost (another npm start or DynamoDB Local?). ` +
                'Set DYNAMODB_LOCAL_PORT=8001, or 0 for any free port, and pass the printed endpoint to npm run integrity-check -- --endpoint.',
            )
          : error,
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
};

const startDynamoDb = async (port: number): Promise<RunningDynamoDb> => {
  if (port !== 0) await ensurePortFree(port);
  // Its own process group: Ctrl-C must not stop the database under the requests still being answered.
  const starting = startDynamoDbLocal({ detached: true, ...(port === 0 ? {} : { port }) });
  dynamodbStarting = starting;
  const dynamodb = await starting;
  // Not in our process group, so nothing else stops it if this process exits without shutdown().
  process.once('exit', () => {
    if (dynamodb.process.exitCode === null && dynamodb.process.signalCode === null) dynamodb.process.kill('SIGKILL');
  });
  dynamodb.process.once('exit', (code, signal) => {
    if (stopping !== undefined) return;
    const stoppedByUser = signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP';
    if (!stoppedByUser) console.error(`DynamoDB Local stopped unexpectedly (${signal ?? `exit code ${code}`}); shutting down.`);
    void shutdown(stoppedByUser ? 0 : 1);
  });
  return dynamodb;
};

const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', fail);
      resolve((server.address() as AddressInfo).port);
    });
  });

/** Counts the requests a stop has to wait for. */
const trackInFlight = (server: Server): Server => {
  const track = (_request: IncomingMessage, response: ServerResponse) => {
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  };
  return server.on('request', track).on('checkContinue', track);
};

/** Loopback only, on both 127.0.0.1 and ::1, so http://localhost works whichever one a client picks. */
const listenOnLocalhost = async (createServer: () => Server, port: number): Promise<number> => {
  const inUse = (error: unknown) =>
    (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? new StartError(`Port ${port} is already in use on localhost (another npm start?). Stop that process, or pick another port: PORT=3001 npm start`)
      : error;
  const ipv4 = createServer();
  servers.push(ipv4);
  const chosen = await listen(ipv4, port, '127.0.0.1').catch((error: unknown) => Promise.reject(inUse(error)));
  const ipv6 = createServer();
  servers.push(ipv6);
  try {
    await listen(ipv6, chosen, '::1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT') throw inUse(error);
    servers.pop();
  }
  return chosen;
};

const STILL_STARTING: LambdaHttpHandler = async () => {
  const { statusCode, headers, body } = errorResponse(
    'unavailable',
    'npm start is still starting DynamoDB Local and seeding the table; retry in a few seconds.',
  );
  return { statusCode, headers: { ...headers, 'retry-after': '2' }, body };
};

const main = async () => {
  useLocalAwsDefaults(process.env);
  const settings = readSettings(process.env);
  // Checked before Java starts, so a bad file leaves nothing behind to stop.
  const customers = await loadSeedFile(settings.seedFile);

  // Bound before Java starts too, so a busy port fails at once; until the table is ready the routes answer 503.
  let handlers: { byId: LambdaHttpHandler; byExternalId: LambdaHttpHandler } | undefined;
  const log = (line: string) => console.log(line);
  const port = await listenOnLocalhost(
    () =>
      trackInFlight(
        createLocalServer({
          byId: (event, context) => (handlers?.byId ?? STILL_STARTING)(event, context),
          byExternalId: (event, context) => (handlers?.byExternalId ?? STILL_STARTING)(event, context),
          token: settings.token,
          log,
        }),
      ),
    settings.port,
  );

  const endpoint = settings.dynamodbEndpoint ?? (await startDynamoDb(settings.dynamodbLocalPort)).endpoint;
  const client = createDocumentClient({ endpoint });
  try {
    await ensureTable(client, settings.tableName);
  } catch (error) {
    throw new StartError(`DynamoDB at ${endpoint} did not create or describe table ${settings.tableName}: ${(error as Error).message}`);
  }
  const seeded = await seedTable(client, settings.tableName, customers);
  console.log(
    `Seeded table ${settings.tableName} from ${settings.seedFile}: ${seeded.written} written, ${seeded.existed} already present (left as they are).`,
  );
  for (const { customer, heldBy } of seeded.blocked) {
    console.warn(`  Not written: customer ${customer.id}, because customer ${heldBy} holds externalId ${JSON.stringify(customer.externalId)}.`);
  }

  const repository = createCustomerRepository(client, settings.tableName);
  handlers = { byId: createRenameByIdHandler({ repository }), byExternalId: createRenameByExternalIdHandler({ repository }) };

  const base = `http://localhost:${port}`;
  const storage = settings.dynamodbEndpoint === undefined ? 'DynamoDB Local in memory (data is lost on exit)' : 'DYNAMODB_ENDPOINT';
  console.log(
    [
      '',
      `customers-api is listening on ${base}`,
      `  Token:    ${settings.token}  (API_TOKEN; send it as "Authorization: Bearer <token>")`,
      `  DynamoDB: ${endpoint}, table ${settings.tableName}, ${storage}`,
      '',
      'Try:',
      `curl -sf -X PUT "${base}/v1/customers/external/ext-ada-001" \\`,
      `  -H "Authorization: Bearer ${settings.token}" \\`,
      `  -H "Content-Type: application/json" \\`,
      `  -d '{"externalId": "ext-ada-002"}'`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
};

main().catch(fail);
