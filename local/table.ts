import { CreateTableCommand, DescribeTableCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { PARTITION_KEY } from '../shared/customers/table.js';

const tableStatus = async (client: DynamoDBDocumentClient, tableName: string): Promise<string | undefined> => {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
};

/** Creates the customers table as the CDK stack defines it (string partition key `pk`), unless it exists. */
export const ensureTable = async (client: DynamoDBDocumentClient, tableName: string): Promise<'created' | 'existed'> => {
  if ((await tableStatus(client, tableName)) !== undefined) return 'existed';
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    return 'existed';
  }
  // DynamoDB Local answers ACTIVE at once; a real endpoint takes a few seconds.
  for (let waited = 0; (await tableStatus(client, tableName)) !== 'ACTIVE'; waited += 200) {
    if (waited > 60_000) throw new Error(`Table ${tableName} did not become ACTIVE within a minute.`);
    await sleep(200);
  }
  return 'created';
};
