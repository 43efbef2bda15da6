// npm run bench [-- --quick]: the four performance measurements of PERFORMANCE.md, a table of figures against
// their targets, and the same as JSON in bench/results/. Everything runs on this machine against 127.0.0.1 and
// stops by itself; the DynamoDB Local it starts is stopped on every way out.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { useLocalAwsDefaults } from '../local/credentials.js';
import { startDynamoDbLocal, type RunningDynamoDb } from '../local/dynamodb-local.js';
import { ensureTable } from '../local/table.js';
import { createDocumentClient } from '../shared/dynamodb/client.js';
import { measureCallCounts } from './call-counts.js';
import { measureColdStart } from './cold-start.js';
import { measureThroughput } from './throughput.js';
import { measureWarmLatency } from './warm-latency.js';
import type { LambdaHandler, Row, SectionResult } from './support.js';

const HELP = `Usage: npm run bench [-- --quick] [--only <sections>] [--help]

Measures, on this machine, against a DynamoDB Local it starts on 127.0.0.1:
  1. DynamoDB calls per request type (counted at a proxy in front of DynamoDB Local)
  2. warm latency: the production handler in-process vs the same calls with the raw SDK client, and over HTTP
  3. cold start: the functions' bundles as the CDK stack builds them vs a client-dynamodb-only reference
  4. throughput through the local server with 1, 8 and 32 clients, and 8 clients fighting over externalIds

Prints a table (figure, target, PASS/FAIL) and writes it as JSON to bench/results/. Exit code 0 when every target
is met, 1 when one is not or a section could not be measured (a FAIL row says why), 2 when the run could not
start or finish (no Java, bad options), 130 when interrupted.

  --quick             fewer samples (well under a minute); the full run takes about two minutes
  --only <sections>   run only these, comma-separated: cold,calls,warm,throughput
  --help              this text
`;

const SECTIONS = ['cold', 'calls', 'warm', 'throughput'] as const;
type SectionName = (typeof SECTIONS)[number];

const readFlags = () => {
  try {
    const { values } = parseArgs({
      options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, help: { type: 'boolean', default: false } },
    });
    const only = values.only?.split(',').map((name) => name.trim()) ?? [...SECTIONS];
    const unknown = only.filter((name) => !(SECTIONS as readonly string[]).includes(name));
    if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
    return { ...values, only: new Set(only as SectionName[]) };
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
};
const flags = readFlags();
if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const quick = flags.quick;
const SETTINGS = quick
  ? { callRepeats: 3, renames: 300, warmup: 100, block: 10, httpRequests: 150, coldRuns: 15, seconds: 2, limitSeconds: 58 }
  : { callRepeats: 10, renames: 2000, warmup: 300, block: 10, httpRequests: 1000, coldRuns: 60, seconds: 8, limitSeconds: 570 };

const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const startedAt = new Date();
let dynamodb: RunningDynamoDb | undefined;

const stopDynamoDb = async () => {
  const running = dynamodb;
  dynamodb = undefined;
  await running?.stop();
};

const abort = (message: string, code: number) => {
  console.error(message);
  void stopDynamoDb().finally(() => process.exit(code));
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => abort(`bench: stopped by ${signal}.`, 130));
process.on('exit', () => {
  // Last resort: the java process must never outlive the benchmark.
  dynamodb?.process.kill('SIGKILL');
});
// Every phase is bounded by counts and durations; this is the backstop should one of them hang.
setTimeout(() => abort(`bench: not finished after ${SETTINGS.limitSeconds} s; stopped.`, 2), SETTINGS.limitSeconds * 1000).unref();

const log = (line: string) => process.stderr.write(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

const sections: { name: string; result: SectionResult }[] = [];
const runSection = async (name: string, measure: () => Promise<SectionResult>) => {
  log(`${name}...`);
  try {
    sections.push({ name, result: await measure() });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    sections.push({ name, result: { rows: [{ section: name, measure: 'could not be measured', figure: message.split('\n')[0] ?? message, target: '', pass: false }], details: { error: message } } });
  }
};

const printTable = (rows: readonly Row[]) => {
  const result = (pass: boolean | null) => (pass === null ? '' : pass ? 'PASS' : 'FAIL');
  const header = ['', 'measure', 'figure', 'target', ''];
  const lines = rows.map((row) => [row.section, row.measure, row.figure, row.target, result(row.pass)]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => [...(line[column] ?? '')].length)));
  const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - [...text].length));
  const format = (cells: readonly string[]) => cells.map((cell, column) => pad(cell, widths[column] ?? 0)).join('  ').trimEnd();
  let previous = '';
  const out = [format(header), widths.map((width) => '-'.repeat(width)).join('  ')];
  for (const line of lines) {
    const section = line[0] === previous ? '' : (line[0] ?? '');
    previous = line[0] ?? '';
    out.push(format([section, ...line.slice(1)]));
  }
  process.stdout.write(`${out.join('\n')}\n`);
};

// DynamoDB Local needs Java: say so before spending a minute on the cold-start section.
const requireJava = () => {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error) {
    abort('bench: DynamoDB Local needs Java 17 or later and no `java` was found on PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless).', 2);
    return false;
  }
  return true;
};

const main = async () => {
  useLocalAwsDefaults(process.env);
  const needsDynamoDb = flags.only.has('calls') || flags.only.has('warm') || flags.only.has('throughput');
  if (needsDynamoDb && !requireJava()) return;
  log(`${quick ? 'quick' : 'full'} run on ${cpus().length} CPUs, Node ${process.version}`);

  // First, while nothing else runs: process start-up times are the most sensitive to other load.
  if (flags.only.has('cold')) await runSection('Cold start', () => measureColdStart({ runs: SETTINGS.coldRuns }));
  if (!flags.only.has('calls') && !flags.only.has('warm') && !flags.only.has('throughput')) return finish();

  log('starting DynamoDB Local...');
  dynamodb = await startDynamoDbLocal();
  const endpoint = dynamodb.endpoint;
  const tableName = `bench-customers-${Date.now()}`;
  const client = createDocumentClient({ endpoint });
  await ensureTable(client, tableName);

  // The production entry points, as Lambda loads them: the container's configuration comes from the environment.
  process.env['TABLE_NAME'] = tableName;
  process.env['DYNAMODB_ENDPOINT'] = endpoint;
  const byId = (await import('../functions/rename-by-id/handler.js')).handler as LambdaHandler;
  const byExternalId = (await import('../functions/rename-by-external-id/handler.js')).handler as LambdaHandler;

  if (flags.only.has('calls')) {
    await runSection('DynamoDB calls', () => measureCallCounts({ client, endpoint, tableName, repeats: SETTINGS.callRepeats }));
  }
  if (flags.only.has('warm')) {
    await runSection('Warm latency', () =>
      measureWarmLatency({ client, endpoint, tableName, byId, byExternalId, renames: SETTINGS.renames, warmup: SETTINGS.warmup, block: SETTINGS.block, httpRequests: SETTINGS.httpRequests }),
    );
  }
  if (flags.only.has('throughput')) {
    await runSection('Throughput', () =>
      measureThroughput({ client, tableName, byId, byExternalId, seconds: SETTINGS.seconds, levels: [1, 8, 32], fighters: 8 }),
    );
  }
  client.destroy();
  await stopDynamoDb();
  finish();
};

const finish = () => {
  const rows = sections.flatMap(({ result }) => result.rows);
  const allPassed = rows.every((row) => row.pass !== false);
  const finishedAt = new Date();
  process.stdout.write('\n');
  printTable(rows);

  const resultsDir = join(projectRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  const cpu = cpus();
  const git = (...args: string[]) => spawnSync('git', args, { cwd: projectRoot, encoding: 'utf8' }).stdout?.trim() ?? '';
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        mode: quick ? 'quick' : 'full',
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
        commit: `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') === '' ? '' : ' (with uncommitted changes)'}`,
        machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGB: Math.round(totalmem() / 2 ** 30), platform: `${process.platform} ${process.arch}`, node: process.version },
        settings: { ...SETTINGS, sections: [...flags.only] },
        allPassed,
        rows,
        details: Object.fromEntries(sections.map(({ name, result }) => [name, result.details])),
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(
    `\n${allPassed ? 'Every target met.' : 'Some targets NOT met (FAIL above).'} ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s; ` +
      `results in ${file.slice(projectRoot.length)}\n`,
  );
  // The functions' SDK clients keep idle sockets to the stopped engine; nothing else is left to wait for.
  process.exit(allPassed ? 0 : 1);
};

main().catch((error: unknown) => abort(`bench: ${error instanceof Error ? error.message : String(error)}`, 2));
