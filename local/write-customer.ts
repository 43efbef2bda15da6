import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Customer } from '../shared/customers/customer.js';
import { customerItem, externalIdItem, PARTITION_KEY } from '../shared/customers/table.js';

/**
 * Writes a customer together with its externalId uniqueness item, as one transaction, unless the table
 * already holds that customer or that externalId: existing data is never overwritten.
 */
export const writeCustomerIfAbsent = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  customer: Customer,
): Promise<'written' | 'existed'> => {
  const absent = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PARTITION_KEY } };
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: customerItem(customer), ...absent } },
          { Put: { TableName: tableName, Item: externalIdItem(customer.externalId, customer.id), ...absent } },
        ],
      }),
    );
    return 'written';
  } catch (error) {
    // Only failed conditions mean "already there"; a conflict or throttling is a real failure.
    const { name, CancellationReasons = [] } = error as { name?: string; CancellationReasons?: { Code?: string }[] };
    const conditionsOnly = CancellationReasons.every((reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'None');
    if (name === 'TransactionCanceledException' && CancellationReasons.length > 0 && conditionsOnly) return 'existed';
    throw error;
  }
};
