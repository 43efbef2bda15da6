import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ClientOptions {
  endpoint?: string;
  region?: string;
}

/**
 * One document client per container, reused by every invocation so connections stay open.
 * A hung DynamoDB must become a 503 within the function's timeout, so each attempt is cut off after 2 s
 * (the SDK only warns about a slow request unless told to throw) and the SDK retries at most twice.
 */
export const createDocumentClient = ({ endpoint, region }: ClientOptions = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(region === undefined ? {} : { region }),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
