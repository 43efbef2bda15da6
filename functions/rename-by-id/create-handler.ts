import { InvalidArgumentError } from '../../shared/customers/errors.js';
import { isCustomerId } from '../../shared/customers/customer-id.js';
import { renameCustomer, type RenameDependencies } from '../../shared/customers/rename.js';
import { toPublicCustomer } from '../../shared/customers/customer.js';
import { httpApi, jsonResponse } from '../../shared/http/middleware.js';
import { readNewExternalId } from '../../shared/http/rename-request.js';

/** PUT /v1/customers/{customer_id}: rename the customer with this numeric LMS id. */
export const createRenameByIdHandler = (dependencies: RenameDependencies) =>
  httpApi(async (event, _context, { signal }) => {
    const id = event.pathParameters?.['customer_id'] ?? '';
    if (!isCustomerId(id)) {
      throw new InvalidArgumentError(
        'customer_id in the path must be a positive decimal integer without sign or leading zeros, at most 9223372036854775807.',
      );
    }
    const externalId = readNewExternalId(event.body);
    const customer = await renameCustomer(dependencies, { id }, externalId, signal);
    return jsonResponse(200, toPublicCustomer(customer));
  });
