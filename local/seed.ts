import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CUSTOMER_FIELDS, displayNameOf, OPTIONAL_CUSTOMER_FIELDS, toPublicCustomer, type Customer } from '../shared/customers/customer.js';
import { isCustomerId } from '../shared/customers/customer-id.js';
import { externalIdProblem } from '../shared/customers/external-id.js';
import { customerKey, externalIdKey, parseExternalIdItem } from '../shared/customers/table.js';
import { writeCustomerIfAbsent } from './write-customer.js';

export const DEFAULT_SEED_FILE = fileURLToPath(new URL('./customers.json', import.meta.url));

const MAX_SHOWN_PROBLEMS = 20;

/** Everything wrong with a seed file, one line per problem, so it can be fixed in one pass. */
export class SeedFileError extends Error {
  override name = 'SeedFileError';
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    const shown = problems.slice(0, MAX_SHOWN_PROBLEMS).map((problem) => `  - ${problem}`);
    const hidden = problems.length - MAX_SHOWN_PROBLEMS;
    super([`Seed file ${path} was not loaded:`, ...shown, ...(hidden > 0 ? [`  ... and ${hidden} more`] : [])].join('\n'));
  }
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set(CUSTOMER_FIELDS);

const describeType = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
const quote = (value: string) => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);

const labelOf = (index: number, record: Record<string, unknown>) => {
  const names = (['id', 'externalId'] as const)
    .filter((field) => typeof record[field] === 'string')
    .map((field) => `${field} ${quote(record[field] as string)}`);
  return `customers[${index}]${names.length === 0 ? '' : ` (${names.join(', ')})`}`;
};

/** Field presence and types; the rules between fields are only checked once these hold. */
const shapeProblems = (record: Record<string, unknown>): string[] => {
  const problems: string[] = [];
  for (const key of Object.keys(record)) {
    if (!KNOWN_FIELDS.has(key)) problems.push(`has unknown field ${quote(key)}; the fields are ${CUSTOMER_FIELDS.join(', ')}.`);
  }
  for (const field of CUSTOMER_FIELDS) {
    const value = record[field];
    const optional = OPTIONAL_CUSTOMER_FIELDS.has(field);
    const expected = field === 'active' ? 'boolean' : 'string';
    if (value === undefined) {
      if (!optional) problems.push(`is missing the required field ${field}.`);
    } else if (typeof value !== expected) {
      problems.push(`${field} must be a ${expected}; it is ${describeType(value)}.`);
    } else if (value === '') {
      // The API leaves unknown optional fields out rather than sending empty strings.
      problems.push(optional ? `${field} must be left out, not empty, when unknown.` : `${field} must not be empty.`);
    }
  }
  return problems;
};

/** The create-time invariants the LMS guarantees and the rename relies on. */
const invariantProblems = (customer: Customer): string[] => {
  const problems: string[] = [];
  if (!isCustomerId(customer.id)) {
    problems.push('id must be a positive decimal integer without sign or leading zeros, at most 9223372036854775807.');
  }
  const externalId = externalIdProblem(customer.externalId, 'externalId');
  if (externalId !== undefined) problems.push(externalId);
  if (customer.firstname !== customer.externalId) {
    problems.push(`firstname must equal externalId (firstname mirrors externalId); it is ${quote(customer.firstname)}.`);
  }
  const displayName = displayNameOf(customer);
  if (customer.displayName !== displayName) {
    problems.push(
      `displayName must be firstname, middlename and lastname joined by single spaces, ${quote(displayName)}; ` +
        `it is ${quote(customer.displayName)}.`,
    );
  }
  if (customer.active !== (customer.status === 'Active')) {
    problems.push(`active must be true exactly when status is "Active"; status is ${quote(customer.status)}, active is ${customer.active}.`);
  }
  return problems;
};

/** Parses and checks seed file text; `path` only names the file in the error. */
export const parseSeed = (text: string, path: string): Customer[] => {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SeedFileError(path, [`is not valid JSON: ${(error as Error).message}`]);
  }
  if (!Array.isArray(data)) {
    throw new SeedFileError(path, [`must hold a JSON array of customer objects; it holds ${describeType(data)}.`]);
  }

  const problems: string[] = [];
  const customers: Customer[] = [];
  const indexOfId = new Map<string, number>();
  const indexOfExternalId = new Map<string, number>();
  data.forEach((record: unknown, index) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      problems.push(`customers[${index}] must be a JSON object; it is ${describeType(record)}.`);
      return;
    }
    const fields = record as Record<string, unknown>;
    const label = labelOf(index, fields);
    const shape = shapeProblems(fields);
    const recordProblems = shape.length > 0 ? shape : invariantProblems(fields as unknown as Customer);
    if (typeof fields['id'] === 'string') {
      const first = indexOfId.get(fields['id']);
      if (first === undefined) indexOfId.set(fields['id'], index);
      else recordProblems.push(`id must be unique; customers[${first}] has the same id.`);
    }
    if (typeof fields['externalId'] === 'string') {
      const first = indexOfExternalId.get(fields['externalId']);
      if (first === undefined) indexOfExternalId.set(fields['externalId'], index);
      else recordProblems.push(`externalId must be unique; customers[${first}] has the same externalId.`);
    }
    problems.push(...recordProblems.map((problem) => `${label}: ${problem}`));
    if (recordProblems.length === 0) customers.push(toPublicCustomer(fields as unknown as Customer));
  });
  if (problems.length > 0) throw new SeedFileError(path, problems);
  return customers;
};

/** Reads a JSON array of customers in the API's response shape and checks every record. */
export const loadSeedFile = async (path: string): Promise<Customer[]> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SeedFileError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  return parseSeed(text, path);
};

export interface SeedResult {
  written: number;
  /** Customers whose id the table already holds: left exactly as they are, renames included. */
  existed: number;
  /** Not written because another customer in the table holds their externalId now. */
  blocked: { customer: Customer; heldBy: string }[];
}

export const seedTable = async (client: DynamoDBDocumentClient, tableName: string, customers: readonly Customer[]): Promise<SeedResult> => {
  const result: SeedResult = { written: 0, existed: 0, blocked: [] };
  const get = async (key: Record<string, string>) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  for (const customer of customers) {
    if ((await writeCustomerIfAbsent(client, tableName, customer)) === 'written') {
      result.written += 1;
      continue;
    }
    // The write is refused when the customer or its externalId is present; only the first means "already seeded".
    if ((await get(customerKey(customer.id))) !== undefined) {
      result.existed += 1;
      continue;
    }
    const holder = await get(externalIdKey(customer.externalId));
    if (holder === undefined) {
      throw new Error(`Writing customer ${customer.id} was cancelled although neither it nor its externalId exists; try again.`);
    }
    result.blocked.push({ customer, heldBy: parseExternalIdItem(holder).customerId });
  }
  return result;
};
