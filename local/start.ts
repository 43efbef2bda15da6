/**
 * `npm start`: the API on http://localhost:3000 backed by DynamoDB Local, seeded from local/customers.json.
 * Settings (environment): PORT (3000), API_TOKEN (local-dev-token), TABLE_NAME (customers),
 * SEED_FILE (local/customers.json), DYNAMODB_ENDPOINT (unset: start an in-memory DynamoDB Local).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRenameByExternalIdHandler } from '../functions/rename-by-external-id/create-handler.js';
import { createRenameByIdHandler } from '../functions/rename-by-id/create-handler.js';
import { ConfigError, readConfig } from '../shared/config.js';
import { createCustomerRepository } from '../shared/customers/repository.js';
import { createDocumentClient } from '../shared/dynamodb/client.js';
import { useLocalAwsDefaults } from './credentials.js';
import { JavaMissingError, startDynamoDbLocal, type RunningDynamoDb } from './dynamodb-local.js';
import { DEFAULT_SEED_FILE, loadSeedFile, SeedFileError, seedTable } from './seed.js';
import { createLocalServer } from './server.js';
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
  if (config.dynamodbEndpoint !== undefined && new URL(config.dynamodbEndpoint).hostname.endsWith('.amazonaws.com')) {
    // Seeding writes customers; a local tool must never do that to a real AWS table.
    throw new StartError(`DYNAMODB_ENDPOINT ${config.dynamodbEndpoint} is an AWS endpoint; npm start only works against DynamoDB Local.`);
  }
  return { port, token, ...config, seedFile: env['SEED_FILE'] || DEFAULT_SEED_FILE };
};

let dynamodbStarting: Promise<RunningDynamoDb | undefined> | undefined;
const servers: Server[] = [];
let stopping: Promise<void> | undefined;

/** The one way out: close the servers, stop the DynamoDB Local this process started, exit. */
const shutdown = (exitCode: number): Promise<void> => {
  stopping ??= (async () => {
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
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

// npm forwards the terminal's Ctrl-C too, so the same signal can arrive twice: the first one counts.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0));
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const startDynamoDb = async (): Promise<RunningDynamoDb> => {
  const starting = startDynamoDbLocal();
  dynamodbStarting = starting;
  const dynamodb = await starting;
  dynamodb.process.once('exit', (code, signal) => {
    if (stopping !== undefined) return;
    const stoppedByUser = signal === 'SIGINT' || signal === 'SIGTERM';
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

const main = async () => {
  useLocalAwsDefaults(process.env);
  const settings = readSettings(process.env);
  // Checked before Java starts, so a bad file leaves nothing behind to stop.
  const customers = await loadSeedFile(settings.seedFile);

  const endpoint = settings.dynamodbEndpoint ?? (await startDynamoDb()).endpoint;
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
  const handlers = { byId: createRenameByIdHandler({ repository }), byExternalId: createRenameByExternalIdHandler({ repository }) };
  const log = (line: string) => console.log(line);
  const port = await listenOnLocalhost(() => createLocalServer({ ...handlers, token: settings.token, log }), settings.port);

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
