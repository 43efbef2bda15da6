import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../local/dynamodb-local.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { endpointOfTestDynamoDb } from '../support/dynamodb.js';

// `npm start` as a child process (node --import tsx local/start.ts), against the tests' DynamoDB Local or none.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'start-test-token';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
}

const children: ChildProcess[] = [];

const start = (env: Record<string, string | undefined>): Started => {
  // Any free port for an engine a test starts, so parallel runs never meet on 8000.
  env = { DYNAMODB_LOCAL_PORT: '0', ...env };
  const base: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: undefined, API_TOKEN: TOKEN };
  const childEnv = Object.fromEntries(Object.entries({ ...base, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(text);
      if (match) return match;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in the output:\n${text}`);
      await sleep(50);
    }
  };
  return { child, output: () => text, exited, waitFor };
};

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const listenOn = (server: Server, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

describe('npm start', () => {
  it('refuses a busy port before it starts DynamoDB Local', async () => {
    const squatter = createServer();
    const port = await listenOn(squatter);
    try {
      // No java on PATH: had it tried to start DynamoDB Local first, it would fail with the Java message instead.
      const started = start({ PORT: String(port), DYNAMODB_ENDPOINT: undefined, PATH: '/nonexistent' });
      expect(await started.exited).toEqual({ code: 1, signal: null });
      expect(started.output()).toContain(`Port ${port} is already in use`);
      expect(started.output()).not.toContain('Java');
    } finally {
      squatter.close();
    }
  });

  it('refuses an AWS endpoint written as a fully qualified name', async () => {
    const started = start({ DYNAMODB_ENDPOINT: 'https://dynamodb.us-east-1.amazonaws.com.', PORT: '0' });
    expect(await started.exited).toEqual({ code: 1, signal: null });
    expect(started.output()).toContain('is an AWS endpoint');
  });

  it('answers 503 unavailable while the database is not ready, and stops on SIGHUP', async () => {
    // A "database" that accepts connections and never answers keeps npm start in its start-up.
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    const dbPort = await listenOn(silent);
    const port = await freePort();
    const started = start({ DYNAMODB_ENDPOINT: `http://127.0.0.1:${dbPort}`, PORT: String(port), TABLE_NAME: 'never-created' });
    try {
      let response: Response | undefined;
      for (let tries = 0; response === undefined && tries < 200; tries += 1) {
        response = await fetch(`http://127.0.0.1:${port}/v1/customers/42`, {
          method: 'PUT',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
          body: '{"externalId": "x"}',
        }).catch(() => undefined);
        if (response === undefined) await sleep(50);
      }
      expect(response?.status).toBe(503);
      expect(response?.headers.get('retry-after')).toBe('2');
      expect(await response?.json()).toMatchObject({ code: 'unavailable' });
      started.child.kill('SIGHUP');
      expect(await started.exited).toEqual({ code: 0, signal: null });
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('on SIGINT stops accepting, answers the request in flight, then exits', async () => {
    const tableName = `customers-start-${randomUUID()}`;
    const started = start({ DYNAMODB_ENDPOINT: endpointOfTestDynamoDb(), PORT: '0', TABLE_NAME: tableName });
    try {
      const [, port] = await started.waitFor(/listening on http:\/\/localhost:(\d+)/);
      const body = '{"externalId": "ext-ada-002"}';
      let sent: (() => void) | undefined;
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(
          `http://127.0.0.1:${port}/v1/customers/external/ext-ada-001`,
          { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Content-Length': body.length } },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
          },
        );
        request.on('error', reject);
        request.write(body.slice(0, 10));
        sent = () => request.end(body.slice(10));
      });
      await sleep(200);
      started.child.kill('SIGINT');
      await started.waitFor(/waiting up to 5 s for 1 request/);
      // No longer accepting: a new connection is refused while the old one is still answered.
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => resolve('connected'));
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
      sent?.();
      const { status, body: text } = await answer;
      expect(status).toBe(200);
      expect(JSON.parse(text)).toMatchObject({ id: '42', externalId: 'ext-ada-002' });
      expect(await started.exited).toEqual({ code: 0, signal: null });
    } finally {
      const client = createDocumentClient({ endpoint: endpointOfTestDynamoDb() });
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      client.destroy();
    }
  });
});
