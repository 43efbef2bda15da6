// The LMS id is a signed 64-bit integer that is always positive: the largest is 2^63 - 1.
const MAX_CUSTOMER_ID = 9223372036854775807n;
const DECIMAL_WITHOUT_LEADING_ZERO = /^[1-9][0-9]{0,18}$/;

/** Whether `value` is a customer id as the API writes it: positive, decimal, no sign or leading zeros. */
export const isCustomerId = (value: string): boolean =>
  DECIMAL_WITHOUT_LEADING_ZERO.test(value) && BigInt(value) <= MAX_CUSTOMER_ID;
