import { withExternalId } from '../../shared/customers/customer.js';
import { buildRenameTransaction, RENAME_ACTION } from '../../shared/customers/rename-transaction.js';
import { ada } from '../support/customers.js';

describe('buildRenameTransaction', () => {
  const current = ada();
  const renamed = withExternalId(current, 'ext-ada-002');
  const input = buildRenameTransaction('customers', current, renamed);
  const actions = input.TransactItems ?? [];

  it('has exactly three actions, in the order CancellationReasons are read', () => {
    expect(actions).toHaveLength(3);
    expect(Object.keys(actions[RENAME_ACTION.releaseOldExternalId] ?? {})).toEqual(['Delete']);
    expect(Object.keys(actions[RENAME_ACTION.claimNewExternalId] ?? {})).toEqual(['Put']);
    expect(Object.keys(actions[RENAME_ACTION.updateCustomer] ?? {})).toEqual(['Update']);
  });

  it('deletes the old uniqueness item only if it names this customer', () => {
    expect(actions[0]?.Delete).toMatchObject({
      TableName: 'customers',
      Key: { pk: 'EXTERNAL_ID#ext-ada-001' },
      ConditionExpression: 'customerId = :customerId',
      ExpressionAttributeValues: { ':customerId': '42' },
    });
  });

  it('puts the new uniqueness item only if nobody holds it', () => {
    expect(actions[1]?.Put).toMatchObject({
      TableName: 'customers',
      Item: { pk: 'EXTERNAL_ID#ext-ada-002', type: 'ExternalId', customerId: '42' },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
  });

  it('updates externalId, firstname and displayName only if the customer exists with the old externalId', () => {
    expect(actions[2]?.Update).toMatchObject({
      TableName: 'customers',
      Key: { pk: 'CUSTOMER#42' },
      UpdateExpression: 'SET externalId = :newExternalId, firstname = :firstname, displayName = :displayName',
      ConditionExpression: 'attribute_exists(#pk) AND externalId = :oldExternalId',
      ExpressionAttributeValues: {
        ':newExternalId': 'ext-ada-002',
        ':firstname': 'ext-ada-002',
        ':displayName': 'ext-ada-002 Customer',
        ':oldExternalId': 'ext-ada-001',
      },
    });
  });

  it('asks for the conflicting item on every condition failure, so cancellations can be told apart', () => {
    for (const action of actions) {
      const operation = Object.values(action)[0] as { ReturnValuesOnConditionCheckFailure?: string };
      expect(operation.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    }
  });
});
