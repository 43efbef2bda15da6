import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface EventOptions {
  routeKey: string;
  rawPath: string;
  pathParameters: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
}

/** An API Gateway HTTP API (payload 2.0) event, as Lambda hands it to the function. */
export const httpApiEvent = ({ routeKey, rawPath, pathParameters, body, headers, isBase64Encoded = false }: EventOptions): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey,
  rawPath,
  rawQueryString: '',
  headers: headers ?? { 'content-type': 'application/json', authorization: 'Bearer test-token' },
  pathParameters,
  requestContext: {
    accountId: '123456789012',
    apiId: 'api',
    domainName: 'api.example.com',
    domainPrefix: 'api',
    http: { method: 'PUT', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
    requestId: 'request-1',
    routeKey,
    stage: '$default',
    time: '03/Dec/2026:12:00:00 +0000',
    timeEpoch: 1_796_385_600_000,
  },
  ...(body === undefined ? {} : { body }),
  isBase64Encoded,
});

// A lone surrogate cannot be percent-encoded; API Gateway would never pass one, but the handler must cope.
const encodePathSegment = (value: string) => (value.isWellFormed() ? encodeURIComponent(value) : value);

export const byExternalIdEvent = (externalId: string, body?: string, options: Partial<EventOptions> = {}) =>
  httpApiEvent({
    routeKey: 'PUT /v1/customers/external/{customer_external_id}',
    rawPath: `/v1/customers/external/${encodePathSegment(externalId)}`,
    pathParameters: { customer_external_id: externalId },
    ...(body === undefined ? {} : { body }),
    ...options,
  });

export const byIdEvent = (id: string, body?: string, options: Partial<EventOptions> = {}) =>
  httpApiEvent({
    routeKey: 'PUT /v1/customers/{customer_id}',
    rawPath: `/v1/customers/${encodePathSegment(id)}`,
    pathParameters: { customer_id: id },
    ...(body === undefined ? {} : { body }),
    ...options,
  });

export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'customers-api-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:customers-api-test',
  memoryLimitInMB: '1024',
  awsRequestId: 'aws-request-1',
  logGroupName: '/aws/lambda/customers-api-test',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Invokes a handler and parses what it returned, failing loudly if it is not the documented shape. */
export const invoke = async (
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>,
  event: APIGatewayProxyEventV2,
): Promise<HttpResult> => {
  const result = (await handler(event, lambdaContext())) as { statusCode: number; headers: Record<string, string>; body: string };
  return { statusCode: result.statusCode, headers: result.headers, body: JSON.parse(result.body) };
};
