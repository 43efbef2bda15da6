import { withExternalId, type Customer } from './customer.js';
import { ConcurrentUpdateError, CustomerNotFoundError, ExternalIdTakenError, StorageUnavailableError } from './errors.js';
import type { CustomerRepository } from './repository.js';

/** How the caller names the customer: by LMS id, or by the externalId it holds now. */
export type CustomerRef = { id: string } | { externalId: string };

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 10,
  maxDelayMs: 200,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export interface RenameDependencies {
  repository: CustomerRepository;
  retry?: RetryPolicy;
}

const describeRef = (ref: CustomerRef) =>
  'id' in ref ? `No customer with id ${ref.id}.` : `No customer with externalId ${JSON.stringify(ref.externalId)}.`;

/** Full jitter: contenders that collided once spread out instead of colliding again. */
const backoffMs = (policy: RetryPolicy, attempt: number) =>
  Math.floor(policy.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));

/**
 * Renames a customer's externalId and returns the customer as stored afterwards. A value equal to the
 * current one writes nothing. Lost races are re-read and retried a bounded number of times.
 */
export const renameCustomer = async (
  { repository, retry = defaultRetryPolicy }: RenameDependencies,
  ref: CustomerRef,
  newExternalId: string,
  /** Once aborted (the caller has given up), no further read or write is started. */
  signal?: AbortSignal,
): Promise<Customer> => {
  const customerId = 'id' in ref ? ref.id : await repository.findCustomerIdByExternalId(ref.externalId, signal);
  if (customerId === undefined) throw new CustomerNotFoundError(describeRef(ref));

  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    const current = await repository.getCustomer(customerId, signal);
    if (current === undefined) throw new CustomerNotFoundError(describeRef(ref));
    if (current.externalId === newExternalId) return current;
    // Addressed by externalId, the customer must still hold it. Only a concurrent request that made the
    // same rename first gets past this point with the new value, and is answered above.
    if ('externalId' in ref && current.externalId !== ref.externalId) throw new CustomerNotFoundError(describeRef(ref));

    const renamed = withExternalId(current, newExternalId);
    signal?.throwIfAborted();
    const outcome = await repository.applyRename(current, renamed, signal);
    switch (outcome.kind) {
      case 'renamed':
        return renamed;
      case 'external-id-taken':
        throw new ExternalIdTakenError(newExternalId);
      case 'customer-gone':
        throw new CustomerNotFoundError(describeRef(ref));
      case 'contended':
        if (attempt >= retry.maxAttempts) throw new ConcurrentUpdateError();
        await retry.sleep(backoffMs(retry, attempt));
        break;
      case 'throttled':
        if (attempt >= retry.maxAttempts) {
          throw new StorageUnavailableError('The customer database kept throttling the rename.');
        }
        await retry.sleep(backoffMs(retry, attempt));
    }
  }
};
