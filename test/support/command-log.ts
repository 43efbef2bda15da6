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
