import {
  ConcurrentUpdateError,
  CustomerNotFoundError,
  ExternalIdTakenError,
  InvalidArgumentError,
  StorageError,
  StorageUnavailableError,
} from '../../shared/customers/errors.js';
import { RequestError, toErrorResponse } from '../../shared/http/errors.js';

const SECRET = 'table customers-prod ResourceNotFoundException at repository.ts:42 customer 42';

describe('toErrorResponse', () => {
  it.each([
    [new InvalidArgumentError('externalId must not be empty.'), 400, 'invalid_argument'],
    [new RequestError('invalid_argument', 'Content-Type must be application/json.', 415), 415, 'invalid_argument'],
    [new CustomerNotFoundError('No customer with id 7.'), 404, 'not_found'],
    [new ExternalIdTakenError('ext-1'), 409, 'aborted'],
    [new ConcurrentUpdateError(), 409, 'aborted'],
  ])('shows the message of %p with its status and code', (error, status, code) => {
    const response = toErrorResponse(error);

    expect(response.statusCode).toBe(status);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual({ code, message: error.message });
  });

  it.each([
    [new StorageUnavailableError(SECRET), 503, 'unavailable'],
    [new StorageError(SECRET), 500, 'internal'],
    [new Error(SECRET), 500, 'internal'],
    [new TypeError(SECRET), 500, 'internal'],
    ['a thrown string', 500, 'internal'],
    [undefined, 500, 'internal'],
  ])('hides what %p says behind a fixed message', (error, status, code) => {
    const response = toErrorResponse(error);

    expect(response.statusCode).toBe(status);
    const body = JSON.parse(response.body) as { code: string; message: string };
    expect(body.code).toBe(code);
    for (const secret of ['customers-prod', 'ResourceNotFound', 'repository.ts', '42', 'thrown string']) expect(body.message).not.toContain(secret);
  });
});
