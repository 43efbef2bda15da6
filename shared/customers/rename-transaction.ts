import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Customer } from './customer.js';
import { customerKey, externalIdItem, externalIdKey, PARTITION_KEY } from './table.js';

/** Positions of the actions in the transaction; CancellationReasons come back in the same order. */
export const RENAME_ACTION = { releaseOldExternalId: 0, claimNewExternalId: 1, updateCustomer: 2 } as const;

/**
 * The whole rename as one TransactWriteItems: release the old externalId (only if it names this customer),
 * claim the new one (only if nobody holds it), and update the customer (only if it still has the old one).
 * `renamed` is the customer as it will be stored; the caller computes it so this stays a pure function.
 */
export const buildRenameTransaction = (
  tableName: string,
  current: Customer,
  renamed: Customer,
): TransactWriteCommandInput => ({
  TransactItems: [
    {
      Delete: {
        TableName: tableName,
        Key: externalIdKey(current.externalId),
        ConditionExpression: 'customerId = :customerId',
        ExpressionAttributeValues: { ':customerId': current.id },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: externalIdItem(renamed.externalId, current.id),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Update: {
        TableName: tableName,
        Key: customerKey(current.id),
        UpdateExpression: 'SET externalId = :newExternalId, firstname = :firstname, displayName = :displayName',
        ConditionExpression: 'attribute_exists(#pk) AND externalId = :oldExternalId',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ExpressionAttributeValues: {
          ':newExternalId': renamed.externalId,
          ':firstname': renamed.firstname,
          ':displayName': renamed.displayName,
          ':oldExternalId': current.externalId,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
  ],
});
