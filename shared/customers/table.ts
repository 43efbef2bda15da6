import { CUSTOMER_FIELDS, OPTIONAL_CUSTOMER_FIELDS, type Customer } from './customer.js';
import { StorageError } from './errors.js';

/**
 * One table, partition key `pk` (string), two item types:
 *   customer:   { pk: "CUSTOMER#<id>",           type: "Customer",   ...the public customer fields }
 *   uniqueness: { pk: "EXTERNAL_ID#<externalId>", type: "ExternalId", customerId: "<id>" }
 * The uniqueness item is what makes an externalId impossible to hold twice: DynamoDB keys are unique.
 */
export const PARTITION_KEY = 'pk';

export const customerKey = (id: string) => ({ [PARTITION_KEY]: `CUSTOMER#${id}` });
export const externalIdKey = (externalId: string) => ({ [PARTITION_KEY]: `EXTERNAL_ID#${externalId}` });

export const CUSTOMER_ITEM_TYPE = 'Customer';
export const EXTERNAL_ID_ITEM_TYPE = 'ExternalId';

export const customerItem = (customer: Customer): Record<string, unknown> => ({
  ...customerKey(customer.id),
  type: CUSTOMER_ITEM_TYPE,
  ...customer,
});

export const externalIdItem = (externalId: string, customerId: string): Record<string, unknown> => ({
  ...externalIdKey(externalId),
  type: EXTERNAL_ID_ITEM_TYPE,
  customerId,
});

/** Reads a stored customer item back, refusing anything that does not fit the model rather than guessing. */
export const parseCustomerItem = (item: Record<string, unknown>): Customer => {
  const customer: Record<string, unknown> = {};
  for (const field of CUSTOMER_FIELDS) {
    const value = item[field];
    const expected = field === 'active' ? 'boolean' : 'string';
    if (value === undefined && OPTIONAL_CUSTOMER_FIELDS.has(field)) continue;
    if (typeof value !== expected) {
      throw new StorageError(`Stored customer ${String(item[PARTITION_KEY])} has no valid ${field}.`);
    }
    customer[field] = value;
  }
  return customer as unknown as Customer;
};

export const parseExternalIdItem = (item: Record<string, unknown>): { customerId: string } => {
  const customerId = item['customerId'];
  if (typeof customerId !== 'string') {
    throw new StorageError(`Stored externalId item ${String(item[PARTITION_KEY])} names no customer.`);
  }
  return { customerId };
};
