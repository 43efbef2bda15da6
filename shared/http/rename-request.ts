import { InvalidArgumentError } from '../customers/errors.js';
import { externalIdProblem } from '../customers/external-id.js';

const describeType = (value: unknown) => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

/** Reads the new externalId from a parsed body: `{"externalId": "<new>"}` and nothing else. */
export const readNewExternalId = (body: unknown): string => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError(
      `The request body must be a JSON object such as {"externalId": "<new externalId>"}; it was ${describeType(body)}.`,
    );
  }
  const others = Object.keys(body).filter((key) => key !== 'externalId');
  if (others.length > 0) {
    const names = others.slice(0, 5).map((key) => JSON.stringify(key.slice(0, 50))).join(', ');
    throw new InvalidArgumentError(
      `Only externalId can be changed through this API; remove ${names} from the body. ` +
        'To change other attributes, close the customer and create a new one.',
    );
  }
  const externalId: unknown = (body as { externalId?: unknown }).externalId;
  if (externalId === undefined) throw new InvalidArgumentError('externalId is required: send {"externalId": "<new externalId>"}.');
  if (typeof externalId !== 'string') throw new InvalidArgumentError(`externalId must be a string; it was ${describeType(externalId)}.`);
  const problem = externalIdProblem(externalId, 'externalId');
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return externalId;
};
