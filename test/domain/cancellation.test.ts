import { interpretCancellation } from '../../shared/customers/repository.js';
import { StorageError } from '../../shared/customers/errors.js';
import { ada } from '../support/customers.js';

// DynamoDB Local cannot be made to throttle or conflict on demand, so these reasons are written by hand.
describe('interpretCancellation', () => {
  const customer = ada();
  const none = { Code: 'None' };
  const failed = (item?: Record<string, { S: string }>) => ({ Code: 'ConditionalCheckFailed', ...(item ? { Item: item } : {}) });

  it.each([
    ['a transaction conflict on any item', [none, { Code: 'TransactionConflict' }, none], 'contended'],
    ['throttling', [{ Code: 'ThrottlingError' }, none, none], 'throttled'],
    ['exceeded provisioned throughput', [none, none, { Code: 'ProvisionedThroughputExceeded' }], 'throttled'],
    ['the new externalId held by another customer', [none, failed({ customerId: { S: '7' } }), none], 'external-id-taken'],
    ['the new externalId held by this customer already', [failed(), failed({ customerId: { S: '42' } }), failed({})], 'contended'],
    ['the customer changed', [failed(), none, failed({ externalId: { S: 'other' } })], 'contended'],
    ['the customer gone', [none, none, failed()], 'customer-gone'],
  ])('reads %s', (_case, reasons, kind) => {
    expect(interpretCancellation(reasons, customer)).toEqual({ kind });
  });

  it('treats an old uniqueness item that does not name the customer, while the customer is unchanged, as corruption', () => {
    expect(() => interpretCancellation([failed({ customerId: { S: '7' } }), none, none], customer)).toThrow(StorageError);
  });

  it('treats a customer that moved on while its old uniqueness item still names it as corruption', () => {
    expect(() => interpretCancellation([none, none, failed({ externalId: { S: 'other' } })], customer)).toThrow(StorageError);
  });

  it('treats a new uniqueness item naming this customer, while the customer is unchanged, as corruption', () => {
    expect(() => interpretCancellation([none, failed({ customerId: { S: '42' } }), none], customer)).toThrow(StorageError);
  });

  it('treats a cancellation it cannot explain as an internal error', () => {
    expect(() => interpretCancellation([{ Code: 'ValidationError' }, none, none], customer)).toThrow(StorageError);
  });
});
