import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type Fault = (commandName: string) => Error | undefined;

/** An error shaped like the one the SDK builds from a DynamoDB error answer. */
export const serviceError = (name: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name} (injected)`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts: 1 },
    ...extra,
  });

/**
 * Throws the fault's error in place of DynamoDB's answer. It sits inside the SDK's retry loop (deserialize
 * step), so the SDK retries a throttling error as it would a real one. Returns the commands attempted.
 */
export const injectFaults = (client: DynamoDBDocumentClient, fault: Fault): string[] => {
  const attempted: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const commandName = String(context.commandName);
      attempted.push(commandName);
      const error = fault(commandName);
      if (error) throw error;
      return next(args);
    },
    { step: 'deserialize', name: 'injectFaults', priority: 'low' },
  );
  return attempted;
};
