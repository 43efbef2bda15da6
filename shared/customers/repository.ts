import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import type { Customer } from './customer.js';
import { StorageError, StorageUnavailableError } from './errors.js';
import { buildRenameTransaction, RENAME_ACTION } from './rename-transaction.js';
import { customerKey, externalIdKey, parseCustomerItem, parseExternalIdItem } from './table.js';

/** What a sent rename transaction came to; only `renamed` means anything was written. */
export type RenameOutcome =
  | { kind: 'renamed' }
  | { kind: 'external-id-taken' }
  | { kind: 'customer-gone' }
  /** Another write got there first (changed customer or TransactionConflict): read again and retry. */
  | { kind: 'contended' }
  /** DynamoDB cancelled the transaction for throughput: wait and retry; if that keeps happening, unavailable. */
  | { kind: 'throttled' };

export interface CustomerRepository {
  getCustomer(id: string, signal?: AbortSignal): Promise<Customer | undefined>;
  findCustomerIdByExternalId(externalId: string, signal?: AbortSignal): Promise<string | undefined>;
  applyRename(current: Customer, renamed: Customer, signal?: AbortSignal): Promise<RenameOutcome>;
}

// Error names DynamoDB and the SDK use for conditions that pass with time: throttling, overload, network.
const RETRYABLE_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const THROTTLED_REASON_CODES = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** Turns whatever the SDK threw into a domain error, keeping the original as `cause` for the logs. */
export const toStorageError = (error: unknown): Error => {
  if (error instanceof StorageError || error instanceof StorageUnavailableError) return error;
  const { name, code, $metadata } = (error ?? {}) as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  // An error that went through the SDK's retries ($metadata) yet carries no HTTP status never got an answer:
  // the connection failed or timed out.
  const noAnswer = $metadata !== undefined && $metadata.httpStatusCode === undefined;
  const retryable =
    noAnswer ||
    (typeof name === 'string' && RETRYABLE_ERROR_NAMES.has(name)) ||
    (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) ||
    ($metadata?.httpStatusCode ?? 0) >= 500;
  return retryable
    ? new StorageUnavailableError('The customer database is unavailable or throttled.', { cause: error })
    : new StorageError('The customer database rejected the request.', { cause: error });
};

const isConditionFailure = (reason: CancellationReason | undefined) => reason?.Code === 'ConditionalCheckFailed';

/** Reads CancellationReasons by position: one entry per action, in the order the transaction lists them. */
export const interpretCancellation = (reasons: CancellationReason[], current: Customer): RenameOutcome => {
  if (reasons.some((reason) => reason.Code !== undefined && THROTTLED_REASON_CODES.has(reason.Code))) {
    return { kind: 'throttled' };
  }
  if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return { kind: 'contended' };

  const claim = reasons[RENAME_ACTION.claimNewExternalId];
  if (isConditionFailure(claim)) {
    const holder = claim?.Item?.['customerId']?.S;
    if (holder !== current.id) return { kind: 'external-id-taken' };
    // The holder is this very customer: renamed to the same value by a concurrent request, which then also
    // fails the update's condition. If the customer still has its old externalId, the table is inconsistent.
    if (!isConditionFailure(reasons[RENAME_ACTION.updateCustomer])) {
      throw new StorageError(`The uniqueness item for the new externalId names customer ${current.id}, which holds another one.`);
    }
    return { kind: 'contended' };
  }
  const update = reasons[RENAME_ACTION.updateCustomer];
  const release = reasons[RENAME_ACTION.releaseOldExternalId];
  if (isConditionFailure(update)) {
    if (update?.Item === undefined) return { kind: 'customer-gone' };
    // A customer that moved on releases its old externalId in the same transaction, so the old uniqueness
    // item still naming it means the table is inconsistent, not that another request won.
    if (!isConditionFailure(release)) {
      throw new StorageError(`Customer ${current.id} no longer holds its old externalId, yet its uniqueness item still names it.`);
    }
    return { kind: 'contended' };
  }
  if (isConditionFailure(release)) {
    // The customer still had the old externalId, yet no uniqueness item named it: the table is inconsistent.
    throw new StorageError(`The uniqueness item for customer ${current.id}'s externalId is missing or names another customer.`);
  }
  throw new StorageError(`The rename transaction was cancelled: ${reasons.map((reason) => reason.Code ?? 'None').join(', ')}.`);
};

const abortWith = (signal: AbortSignal | undefined) => (signal === undefined ? {} : { abortSignal: signal });

export const createCustomerRepository = (client: DynamoDBDocumentClient, tableName: string): CustomerRepository => ({
  async getCustomer(id, signal) {
    try {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: customerKey(id), ConsistentRead: true }),
        abortWith(signal),
      );
      return Item === undefined ? undefined : parseCustomerItem(Item);
    } catch (error) {
      throw toStorageError(error);
    }
  },

  async findCustomerIdByExternalId(externalId, signal) {
    try {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: externalIdKey(externalId), ConsistentRead: true }),
        abortWith(signal),
      );
      return Item === undefined ? undefined : parseExternalIdItem(Item).customerId;
    } catch (error) {
      throw toStorageError(error);
    }
  },

  async applyRename(current, renamed, signal) {
    try {
      await client.send(new TransactWriteCommand(buildRenameTransaction(tableName, current, renamed)), abortWith(signal));
      return { kind: 'renamed' };
    } catch (error) {
      const { name, CancellationReasons } = error as { name?: string; CancellationReasons?: CancellationReason[] };
      if (name === 'TransactionCanceledException' && CancellationReasons !== undefined) {
        return interpretCancellation(CancellationReasons, current);
      }
      if (name === 'TransactionConflictException') return { kind: 'contended' };
      throw toStorageError(error);
    }
  },
});
