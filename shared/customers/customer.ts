/** A customer as the API returns it. Optional names and contacts are absent, not empty, when unknown. */
export interface Customer {
  id: string;
  accountNo: string;
  externalId: string;
  status: string;
  active: boolean;
  officeId: string;
  officeName: string;
  firstname: string;
  middlename?: string;
  lastname: string;
  displayName: string;
  activationDate: string;
  mobileNo?: string;
  emailAddress?: string;
}

/** The response field order of the public API page; optional fields are left out when absent. */
export const CUSTOMER_FIELDS = [
  'id',
  'accountNo',
  'externalId',
  'status',
  'active',
  'officeId',
  'officeName',
  'firstname',
  'middlename',
  'lastname',
  'displayName',
  'activationDate',
  'mobileNo',
  'emailAddress',
] as const satisfies readonly (keyof Customer)[];

export const OPTIONAL_CUSTOMER_FIELDS: ReadonlySet<keyof Customer> = new Set([
  'middlename',
  'mobileNo',
  'emailAddress',
]);

/** The LMS display name: the non-empty first, middle and last names joined by single spaces. */
export const displayNameOf = (names: Pick<Customer, 'firstname' | 'middlename' | 'lastname'>): string =>
  [names.firstname, names.middlename, names.lastname].filter((name) => name !== undefined && name !== '').join(' ');

/** firstname mirrors externalId (the create-time invariant), so a rename moves both it and displayName. */
export const withExternalId = (customer: Customer, externalId: string): Customer => {
  const renamed = { ...customer, externalId, firstname: externalId };
  return { ...renamed, displayName: displayNameOf(renamed) };
};

/** A copy holding only the public fields, in the documented order. */
export const toPublicCustomer = (customer: Customer): Customer => {
  const result: Record<string, unknown> = {};
  for (const field of CUSTOMER_FIELDS) {
    if (customer[field] !== undefined) result[field] = customer[field];
  }
  return result as unknown as Customer;
};
