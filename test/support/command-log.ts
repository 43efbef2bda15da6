import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Records the name of every command the client sends (GetItemCommand, TransactWriteItemsCommand, …). */
export const recordCommands = (client: DynamoDBDocumentClient): string[] => {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
};

/** Records each command's name and input, as the client sends them. */
export const recordInputs = (client: DynamoDBDocumentClient): { name: string; input: unknown }[] => {
  const sent: { name: string; input: unknown }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: String(context.commandName), input: args.input });
      return next(args);
    },
    { step: 'initialize', name: 'recordInputs' },
  );
  return sent;
};
