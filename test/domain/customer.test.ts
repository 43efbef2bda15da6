import { displayNameOf, toPublicCustomer, withExternalId } from '../../shared/customers/customer.js';
import { aCustomer } from '../support/customers.js';

describe('displayNameOf', () => {
  it.each([
    [{ firstname: 'ext-1', lastname: 'Customer' }, 'ext-1 Customer'],
    [{ firstname: 'ext-1', middlename: 'Augusta', lastname: 'Customer' }, 'ext-1 Augusta Customer'],
    [{ firstname: 'ext-1', middlename: '', lastname: 'Customer' }, 'ext-1 Customer'],
    [{ firstname: 'ext-1', lastname: '' }, 'ext-1'],
  ])('joins the non-empty names of %j with single spaces', (names, expected) => {
    expect(displayNameOf(names)).toBe(expected);
  });
});

describe('withExternalId', () => {
  it('moves firstname and displayName with externalId and nothing else', () => {
    const customer = aCustomer({ middlename: 'B', mobileNo: '+1', emailAddress: 'a@b.c', status: 'Closed', active: false });

    expect(withExternalId(customer, 'ext-new')).toEqual({ ...customer, externalId: 'ext-new', firstname: 'ext-new', displayName: 'ext-new B Customer' });
  });
});

describe('toPublicCustomer', () => {
  it('keeps only the documented fields, in the documented order', () => {
    const customer = aCustomer({ middlename: 'B' });
    const stored = { pk: 'CUSTOMER#1', type: 'Customer', version: 3, ...customer };

    const result = toPublicCustomer(stored);

    expect(Object.keys(result)).toEqual([
      'id', 'accountNo', 'externalId', 'status', 'active', 'officeId', 'officeName',
      'firstname', 'middlename', 'lastname', 'displayName', 'activationDate',
    ]);
  });
});
