import { displayNameOf, type Customer } from '../customers/customer.js';
import { CUSTOMER_ITEM_TYPE, EXTERNAL_ID_ITEM_TYPE, PARTITION_KEY, parseCustomerItem, parseExternalIdItem } from '../customers/table.js';

export type ViolationKind =
  | 'malformed-item'
  | 'uniqueness-item-without-customer'
  | 'customer-without-uniqueness-item'
  | 'uniqueness-item-names-other-customer'
  | 'externalId-held-twice'
  | 'firstname-out-of-step'
  | 'displayName-out-of-step';

export const VIOLATION_KINDS: readonly ViolationKind[] = [
  'malformed-item',
  'uniqueness-item-without-customer',
  'customer-without-uniqueness-item',
  'uniqueness-item-names-other-customer',
  'externalId-held-twice',
  'firstname-out-of-step',
  'displayName-out-of-step',
];

export interface Violation {
  kind: ViolationKind;
  message: string;
  /** The partition keys of the items involved, the item the violation is about first. */
  items: string[];
}

const CUSTOMER_PREFIX = 'CUSTOMER#';
const EXTERNAL_ID_PREFIX = 'EXTERNAL_ID#';
export const customerPk = (id: string) => `${CUSTOMER_PREFIX}${id}`;
export const externalIdPk = (externalId: string) => `${EXTERNAL_ID_PREFIX}${externalId}`;

/**
 * The partition key of the item this one points at, if any: a customer's uniqueness item, a uniqueness item's
 * customer. Read from the raw item, so it works for malformed items too where the attribute is a string.
 */
export const relatedPk = (item: Record<string, unknown>): string | undefined => {
  const pk = item[PARTITION_KEY];
  if (typeof pk !== 'string') return undefined;
  if (pk.startsWith(CUSTOMER_PREFIX) && typeof item['externalId'] === 'string') return externalIdPk(item['externalId']);
  if (pk.startsWith(EXTERNAL_ID_PREFIX) && typeof item['customerId'] === 'string') return customerPk(item['customerId']);
  return undefined;
};

const quote = (value: string) => JSON.stringify(value);

/**
 * Collects what it needs from each item as a scan streams them past, then reports every way the table breaks
 * the data model. It keeps two small strings per item, never whole items, so large tables fit in memory.
 * Each corruption is reported once, under the kind that names it best:
 * - a uniqueness item whose customer is missing: `uniqueness-item-without-customer`, unless a customer holds that
 *   externalId (then it is that customer's item naming another: `uniqueness-item-names-other-customer`);
 * - a uniqueness item naming a customer with another externalId: `uniqueness-item-names-other-customer`, with the
 *   customers that do hold the externalId among the items;
 * - a customer whose externalId has no uniqueness item at all: `customer-without-uniqueness-item`;
 * - two or more customers with one externalId: `externalId-held-twice` (the uniqueness item can name only one);
 * - an item that is neither a valid customer nor a valid uniqueness item: `malformed-item` (and nothing else is
 *   reported about what points at it).
 */
export class ViolationFinder {
  private readonly externalIdOfCustomer = new Map<string, string>();
  private readonly holderOfExternalId = new Map<string, string>();
  private readonly customersByExternalId = new Map<string, string[]>();
  private readonly malformed = new Set<string>();
  private readonly violations: Violation[] = [];
  itemsSeen = 0;

  add(item: Record<string, unknown>): void {
    this.itemsSeen += 1;
    const pk = String(item[PARTITION_KEY]);
    try {
      if (item['type'] === CUSTOMER_ITEM_TYPE && pk.startsWith(CUSTOMER_PREFIX)) this.addCustomer(pk, parseCustomerItem(item));
      else if (item['type'] === EXTERNAL_ID_ITEM_TYPE && pk.startsWith(EXTERNAL_ID_PREFIX)) this.addExternalId(pk, parseExternalIdItem(item).customerId);
      else this.reportMalformed(pk, `${pk} is neither a customer nor an externalId uniqueness item (type ${quote(String(item['type']))}).`);
    } catch (error) {
      this.reportMalformed(pk, (error as Error).message);
    }
  }

  private addCustomer(pk: string, customer: Customer) {
    if (pk !== customerPk(customer.id)) {
      this.reportMalformed(pk, `${pk} holds customer id ${quote(customer.id)}.`);
      return;
    }
    this.externalIdOfCustomer.set(customer.id, customer.externalId);
    const holders = this.customersByExternalId.get(customer.externalId) ?? [];
    holders.push(customer.id);
    this.customersByExternalId.set(customer.externalId, holders);
    if (customer.firstname !== customer.externalId) {
      this.report(
        'firstname-out-of-step',
        `Customer ${customer.id} has firstname ${quote(customer.firstname)} but externalId ${quote(customer.externalId)}.`,
        [pk],
      );
    }
    // Derived from externalId rather than the stored firstname, which may itself be the corrupted field.
    const expected = displayNameOf({ ...customer, firstname: customer.externalId });
    if (customer.displayName !== expected) {
      this.report('displayName-out-of-step', `Customer ${customer.id} has displayName ${quote(customer.displayName)}, expected ${quote(expected)}.`, [pk]);
    }
  }

  private addExternalId(pk: string, customerId: string) {
    this.holderOfExternalId.set(pk.slice(EXTERNAL_ID_PREFIX.length), customerId);
  }

  private reportMalformed(pk: string, message: string) {
    this.malformed.add(pk);
    this.report('malformed-item', message, [pk]);
  }

  private report(kind: ViolationKind, message: string, items: string[]) {
    this.violations.push({ kind, message, items });
  }

  /** Every violation, once all items have been added. */
  finish(): Violation[] {
    for (const [externalId, ids] of this.customersByExternalId) {
      if (ids.length > 1) {
        this.report('externalId-held-twice', `externalId ${quote(externalId)} is held by customers ${ids.join(', ')}.`, [
          ...ids.map(customerPk),
          externalIdPk(externalId),
        ]);
      }
    }
    for (const [id, externalId] of this.externalIdOfCustomer) {
      if (!this.holderOfExternalId.has(externalId) && !this.malformed.has(externalIdPk(externalId))) {
        this.report(
          'customer-without-uniqueness-item',
          `Customer ${id} holds externalId ${quote(externalId)} but no uniqueness item exists for it.`,
          [customerPk(id), externalIdPk(externalId)],
        );
      }
    }
    for (const [externalId, customerId] of this.holderOfExternalId) {
      const named = customerPk(customerId);
      if (this.malformed.has(named)) continue;
      const heldExternalId = this.externalIdOfCustomer.get(customerId);
      if (heldExternalId === externalId) continue;
      const holders = this.customersByExternalId.get(externalId) ?? [];
      const heldBy = holders.length === 0 ? '' : `; customer${holders.length > 1 ? 's' : ''} ${holders.join(', ')} hold${holders.length > 1 ? '' : 's'} it`;
      const items = [externalIdPk(externalId), named, ...holders.map(customerPk)];
      if (heldExternalId === undefined && holders.length === 0) {
        this.report(
          'uniqueness-item-without-customer',
          `The uniqueness item for ${quote(externalId)} names customer ${customerId}, which does not exist.`,
          items,
        );
      } else {
        const namedState = heldExternalId === undefined ? 'which does not exist' : `whose externalId is ${quote(heldExternalId)}`;
        this.report(
          'uniqueness-item-names-other-customer',
          `The uniqueness item for ${quote(externalId)} names customer ${customerId}, ${namedState}${heldBy}.`,
          items,
        );
      }
    }
    return this.violations;
  }
}
