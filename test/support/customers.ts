import type { Customer } from '../../shared/customers/customer.js';

/** The seed page's customer 42, before the rename in its examples. */
export const ada = (): Customer => ({
  id: '42',
  accountNo: '000000042',
  externalId: 'ext-ada-001',
  status: 'Active',
  active: true,
  officeId: '1',
  officeName: 'Head Office',
  firstname: 'ext-ada-001',
  lastname: 'Customer',
  displayName: 'ext-ada-001 Customer',
  activationDate: '2026-05-25',
});

/** The seed page's response body, verbatim. */
export const SEED_RESPONSE = `{
  "id": "42",
  "accountNo": "000000042",
  "externalId": "ext-ada-002",
  "status": "Active",
  "active": true,
  "officeId": "1",
  "officeName": "Head Office",
  "firstname": "ext-ada-002",
  "lastname": "Customer",
  "displayName": "ext-ada-002 Customer",
  "activationDate": "2026-05-25"
}`;

let next = 1000;

/** A customer with fresh id and externalId; pass overrides for the fields a test cares about. */
export const aCustomer = (overrides: Partial<Customer> = {}): Customer => {
  next += 1;
  const externalId = overrides.externalId ?? `ext-test-${next}`;
  const base: Customer = {
    id: String(next),
    accountNo: String(next).padStart(9, '0'),
    externalId,
    status: 'Active',
    active: true,
    officeId: '1',
    officeName: 'Head Office',
    firstname: externalId,
    lastname: 'Customer',
    displayName: `${externalId} Customer`,
    activationDate: '2026-05-25',
  };
  const customer = { ...base, ...overrides };
  const names = [customer.firstname, customer.middlename, customer.lastname].filter((name) => name);
  return { ...customer, displayName: overrides.displayName ?? names.join(' ') };
};
