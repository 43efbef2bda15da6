import { InvalidArgumentError } from '../../shared/customers/errors.js';
import { externalIdProblem } from '../../shared/customers/external-id.js';
import { renameCustomer, type RenameDependencies } from '../../shared/customers/rename.js';
import { toPublicCustomer } from '../../shared/customers/customer.js';
import { httpApi, jsonResponse } from '../../shared/http/middleware.js';
import { readNewExternalId } from '../../shared/http/rename-request.js';

/** PUT /v1/customers/external/{customer_external_id}: rename the customer that holds this externalId now. */
export const createRenameByExternalIdHandler = (dependencies: RenameDependencies) =>
  httpApi(async (event, _context, { signal }) => {
    const currentExternalId = event.pathParameters?.['customer_external_id'] ?? '';
    // A value no customer could hold is a malformed request, not a missing customer.
    const problem = externalIdProblem(currentExternalId, 'customer_external_id in the path');
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    const externalId = readNewExternalId(event.body);
    const customer = await renameCustomer(dependencies, { externalId: currentExternalId }, externalId, signal);
    return jsonResponse(200, toPublicCustomer(customer));
  });
