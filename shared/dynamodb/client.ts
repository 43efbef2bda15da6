import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ClientOptions {
  endpoint?: string;
  region?: string;
}

/**
 * One document client per container, reused by every invocation so connections stay open.
 * Timeouts are short because API Gateway gives up after 30 s and a hung socket should become a 503, not a 504.
 */
export const createDocumentClient = ({ endpoint, region }: ClientOptions = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(region === undefined ? {} : { region }),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
