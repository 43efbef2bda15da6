/**
 * `npm run integrity-check -- [options]`: scans a customers table for items that break the data model and reports
 * each violation with the items involved. Read-only (Scan and GetItem). See HELP for the rules.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { isAwsEndpoint } from '../local/aws-endpoint.js';
import { useLocalAwsDefaults } from '../local/credentials.js';
import { PARTITION_KEY } from '../shared/customers/table.js';
import { checkIntegrity, type IntegrityReport } from '../shared/integrity/check-integrity.js';
import type { ConfirmedViolation } from '../shared/integrity/confirm-violations.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type ScanProgress } from '../shared/integrity/scan-table.js';

// Where npm start runs DynamoDB Local: port 8000 unless DYNAMODB_LOCAL_PORT moved it.
const DEFAULT_LOCAL_ENDPOINT = `http://127.0.0.1:${process.env['DYNAMODB_LOCAL_PORT'] || '8000'}`;
const DEFAULT_LOCAL_TABLE = 'customers';
/** Without a terminal, one progress line per this many pages. */
const PROGRESS_EVERY_PAGES = 10;

const HELP = `Usage: npm run integrity-check -- [options]

Scans a customers table and reports every item that breaks the data model (README, "Data model"):
  uniqueness-item-without-customer      EXTERNAL_ID#<x> names a customer that does not exist
  customer-without-uniqueness-item      a customer's externalId has no EXTERNAL_ID# item
  uniqueness-item-names-other-customer  EXTERNAL_ID#<x> names a customer whose externalId is not <x>
  externalId-held-twice                 two or more customers hold one externalId
  firstname-out-of-step                 firstname differs from externalId
  displayName-out-of-step               displayName is not the names joined by spaces
  malformed-item                        neither a valid customer nor a valid uniqueness item
Each violation is printed with the items involved, as they are now (absent items shown as absent).

Which table, by one rule:
  --endpoint URL    DynamoDB at URL, such as DynamoDB Local (the DYNAMODB_ENDPOINT variable does the same;
                    the option wins). Requests are signed with fixed local credentials unless the environment
                    has AWS_ACCESS_KEY_ID or AWS_PROFILE, or the URL is an AWS endpoint.
  --aws             a table in AWS: no endpoint, the SDK's normal credential chain (environment, AWS_PROFILE,
                    SSO, instance or task role) and region (--region, AWS_REGION, the profile). Needs --table
                    (or TABLE_NAME). DYNAMODB_ENDPOINT is ignored. Cannot be combined with --endpoint.
  (neither)         DYNAMODB_ENDPOINT if set, else ${DEFAULT_LOCAL_ENDPOINT}: the DynamoDB Local of npm start.
  --table NAME      the table (default: TABLE_NAME, else "${DEFAULT_LOCAL_TABLE}", the table npm start creates;
                    with --aws there is no default)
  --region REGION   the AWS region to sign for (default: the SDK's, us-east-1 for a local endpoint)

Output:
  --page-size N     items per scan page, 1-${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}); each page is one bounded,
                    strongly consistent Scan request, read one after another
  --json            one JSON object on stdout instead of text
  --no-progress     no progress on stderr (by default: one updating line on a terminal, else a line every
                    ${PROGRESS_EVERY_PAGES} pages)
  -h, --help        this text

A scan of a live table is not a snapshot: a rename that commits while the scan runs can look like a violation.
So every violation the scan suspects is re-checked before it is reported: its items, and the items they point
at (a customer's uniqueness item, a uniqueness item's customer), are re-read with strongly consistent GetItem,
and it is reported only if the same kind of violation still involves at least one of the same items. Suspicions
that the re-read clears are counted in the summary, not reported.

The check only reads (dynamodb:Scan and dynamodb:GetItem). Scanning a large table uses read capacity: on a
provisioned table, prefer a quiet hour or a smaller --page-size.

Exit status: 0 no violations, 1 violations found, 2 bad options or the table could not be read.
`;

/** A failure whose message says everything: printed without a stack, exit status 2. */
class CheckError extends Error {
  override name = 'CheckError';
}

interface Settings {
  tableName: string;
  /** undefined: the SDK's regional AWS endpoint. */
  endpoint: string | undefined;
  region: string | undefined;
  /** Where the table is, for messages. */
  where: string;
  usedDefaultEndpoint: boolean;
  pageSize: number;
  json: boolean;
  progress: boolean;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

const parseSettings = (argv: string[], env: NodeJS.ProcessEnv): Settings | 'help' => {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        endpoint: { type: 'string' },
        aws: { type: 'boolean' },
        table: { type: 'string' },
        region: { type: 'string' },
        'page-size': { type: 'string' },
        json: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new CheckError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) return 'help';

  if (values.aws && values.endpoint !== undefined) throw new CheckError('--aws and --endpoint exclude each other: --aws means the regional AWS endpoint.');

  const pageSizeText = values['page-size'] ?? String(DEFAULT_PAGE_SIZE);
  const pageSize = Number(pageSizeText);
  if (!/^\d+$/.test(pageSizeText) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new CheckError(`--page-size ${JSON.stringify(pageSizeText)} is not a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }

  const tableName = (values.table ?? (env['TABLE_NAME'] || undefined) ?? (values.aws ? undefined : DEFAULT_LOCAL_TABLE))?.trim();
  if (tableName === undefined) throw new CheckError('--aws needs the table: pass --table NAME (the stack outputs its name) or set TABLE_NAME.');
  if (!TABLE_NAME.test(tableName)) {
    throw new CheckError(`Table name ${JSON.stringify(tableName)} is not a valid DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -).`);
  }

  const region = values.region?.trim() || undefined;
  if (values.region !== undefined && region === undefined) throw new CheckError('--region is empty.');

  const common = { tableName, region, pageSize, json: values.json ?? false, progress: !values['no-progress'] };
  if (values.aws) return { ...common, endpoint: undefined, where: 'AWS', usedDefaultEndpoint: false };

  const given = values.endpoint ?? (env['DYNAMODB_ENDPOINT']?.trim() || undefined);
  const endpoint = given ?? DEFAULT_LOCAL_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CheckError(`Endpoint ${JSON.stringify(endpoint)} is not a URL, such as ${DEFAULT_LOCAL_ENDPOINT}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CheckError(`Endpoint ${JSON.stringify(endpoint)} is not an http or https URL.`);
  if (!isAwsEndpoint(endpoint)) useLocalAwsDefaults(env);
  return { ...common, endpoint, where: endpoint, usedDefaultEndpoint: given === undefined };
};

/**
 * `patient` rides out throttling during a long scan; `quick` is for the first request, so that a wrong endpoint,
 * table or credentials fails in seconds instead of after a minute of retries.
 */
const createClient = (settings: Settings, patient: boolean): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(settings.region === undefined ? {} : { region: settings.region }),
      maxAttempts: patient ? 10 : 2,
      retryMode: patient ? 'adaptive' : 'standard',
      requestHandler: { connectionTimeout: 3_000, requestTimeout: patient ? 30_000 : 10_000, throwOnRequestTimeout: true },
    }),
    // Numbers stay exact (a corrupt item may hold any number) and are shown as they are stored.
    { unmarshallOptions: { wrapNumbers: true } },
  );

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Says in words what went wrong with the table or the connection. */
const describeFailure = (error: unknown, settings: Settings): string => {
  const { name, code, message, $metadata } = (error ?? {}) as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const table = `table ${settings.tableName}`;
  if (name === 'ResourceNotFoundException') return `There is no ${table} at ${settings.where}${settings.region ? ` (region ${settings.region})` : ''}.`;
  // An error that went through the SDK's retries ($metadata) yet has no HTTP status never got an answer.
  const noAnswer =
    (code !== undefined && NETWORK_CODES.has(code)) ||
    name === 'TimeoutError' ||
    ($metadata !== undefined && $metadata.httpStatusCode === undefined && name !== 'CredentialsProviderError');
  if (noAnswer) {
    const hint = settings.usedDefaultEndpoint
      ? ' That is the default endpoint. Is npm start running? Its DynamoDB Local may listen on another port: npm start prints it' +
        ' on its "DynamoDB:" line; pass that with --endpoint URL.'
      : '';
    return `DynamoDB did not answer at ${settings.where} (${code ?? name ?? 'no answer'}).${hint}`;
  }
  if (name === 'CredentialsProviderError') {
    return `No AWS credentials were found (${message}). Set AWS_PROFILE or sign in (aws sso login), or use --endpoint for DynamoDB Local.`;
  }
  if (message?.includes('Region is missing')) return 'No AWS region is set: pass --region REGION or set AWS_REGION.';
  return `DynamoDB refused to read ${table} at ${settings.where}: ${name ?? 'Error'}: ${message ?? String(error)}`;
};

// ---- output ----

const jsonReplacer = (_key: string, value: unknown) => {
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return { binary: Buffer.from(value).toString('base64') };
  if (value !== null && typeof value === 'object' && value.constructor?.name === 'NumberValue') return { number: String(value) };
  return value;
};

const SHOWN_ATTRIBUTES = ['type', 'id', 'externalId', 'customerId', 'firstname', 'middlename', 'lastname', 'displayName'];

const describeItem = (item: Record<string, unknown> | null, kind: string): string => {
  if (item === null) return '(absent)';
  const keys = kind === 'malformed-item' ? Object.keys(item).filter((key) => key !== PARTITION_KEY) : SHOWN_ATTRIBUTES.filter((key) => key in item);
  const text = keys.map((key) => `${key}=${JSON.stringify(item[key], jsonReplacer)}`).join(' ');
  const hidden = Object.keys(item).length - 1 - keys.length;
  const line = hidden > 0 ? `${text} (+${hidden} more)` : text;
  return line.length > 400 ? `${line.slice(0, 400)}...` : line;
};

const formatViolation = (violation: ConfirmedViolation, index: number): string => {
  const order = [...violation.items, ...Object.keys(violation.evidence).filter((pk) => !violation.items.includes(pk))];
  const width = Math.min(40, Math.max(...order.map((pk) => JSON.stringify(pk).length)));
  const lines = order.map((pk) => {
    const item = violation.evidence[pk];
    const state = item === undefined ? '(not re-read)' : describeItem(item, violation.kind);
    return `     ${JSON.stringify(pk).padEnd(width)}  ${state}`;
  });
  return [`${index + 1}. ${violation.kind}: ${violation.message}`, ...lines].join('\n');
};

const plural = (count: number, word: string) => `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;

const formatReport = (report: IntegrityReport, settings: Settings): string => {
  const scanned = `${plural(report.itemsRead, 'item')} in ${plural(report.pagesRead, 'page')} of table ${settings.tableName} at ${settings.where}`;
  const dismissed = report.dismissed.length > 0 ? `; ${plural(report.dismissed.length, 'suspicion')} cleared on re-read (writes during the scan)` : '';
  if (report.violations.length === 0) return `No violations: ${scanned}${dismissed}.`;
  return [
    ...report.violations.map(formatViolation),
    '',
    `${plural(report.violations.length, 'violation')} found: ${scanned}${dismissed}.`,
  ].join('\n');
};

/** Progress on stderr: one line rewritten in place on a terminal, else a line every few pages. */
const createProgress = (settings: Settings) => {
  const stream = process.stderr;
  const tty = stream.isTTY === true;
  let shown = false;
  let lastDraw = 0;
  const draw = (text: string, force: boolean) => {
    if (!settings.progress) return;
    if (tty) {
      const now = Date.now();
      if (!force && now - lastDraw < 100) return;
      lastDraw = now;
      stream.write(`\r\u001b[2K${text}`);
      shown = true;
    } else {
      stream.write(`${text}\n`);
    }
  };
  return {
    scan({ itemsRead, pagesRead }: ScanProgress) {
      if (tty || pagesRead % PROGRESS_EVERY_PAGES === 0) {
        draw(`Scanning ${settings.tableName}: ${plural(itemsRead, 'item')} read (${plural(pagesRead, 'page')})`, !tty);
      }
    },
    confirm(checked: number, total: number) {
      if (checked === 0 || checked === total || tty) draw(`Re-checking ${plural(total, 'suspected violation')} with consistent reads: ${checked} done`, checked === 0);
    },
    end() {
      if (tty && shown) stream.write('\r\u001b[2K');
    },
  };
};

const main = async (): Promise<number> => {
  const settings = parseSettings(process.argv.slice(2), process.env);
  if (settings === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const quick = createClient(settings, false);
  const patient = createClient(settings, true);
  const progress = createProgress(settings);
  try {
    // One small read first: a wrong endpoint, table, region or credentials fails fast, with a clear message.
    await quick.send(new ScanCommand({ TableName: settings.tableName, Limit: 1 })).catch((error: unknown) => {
      throw new CheckError(describeFailure(error, settings));
    });
    const report = await checkIntegrity(patient, settings.tableName, {
      pageSize: settings.pageSize,
      onScanProgress: progress.scan,
      onConfirmProgress: progress.confirm,
    }).catch((error: unknown) => {
      throw new CheckError(`The check did not finish: ${describeFailure(error, settings)}`);
    });
    progress.end();
    if (settings.json) {
      const output = {
        table: settings.tableName,
        endpoint: settings.endpoint ?? null,
        itemsRead: report.itemsRead,
        pagesRead: report.pagesRead,
        suspected: report.suspected,
        dismissed: report.dismissed.length,
        ok: report.violations.length === 0,
        violations: report.violations,
      };
      process.stdout.write(`${JSON.stringify(output, jsonReplacer, 2)}\n`);
    } else {
      process.stdout.write(`${formatReport(report, settings)}\n`);
    }
    return report.violations.length === 0 ? 0 : 1;
  } finally {
    progress.end();
    quick.destroy();
    patient.destroy();
  }
};

// A closed pipe (| head) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof CheckError ? error.message : `Unexpected failure: ${(error as Error)?.message ?? String(error)}`;
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    process.stderr.write(`integrity-check: ${message}\n`);
    process.exitCode = 2;
  },
);
