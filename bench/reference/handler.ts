// The cold-start reference: the smallest handler that makes a rename's two calls with @aws-sdk/client-dynamodb
// alone (one GetItem, one TransactWriteItems), no Middy, no document client, no validation. The benchmark bundles
// it with esbuild (minified, ES module sources preferred, CommonJS output) and compares the functions against it.
import { DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});
const TableName = process.env['TABLE_NAME'];

export const handler = async (event: { pathParameters?: Record<string, string>; body?: string }) => {
  const id = event.pathParameters?.['customer_id'] ?? '';
  const { externalId } = JSON.parse(event.body ?? '{}') as { externalId: string };
  const { Item } = await client.send(new GetItemCommand({ TableName, Key: { pk: { S: `CUSTOMER#${id}` } }, ConsistentRead: true }));
  const old = Item?.['externalId']?.S ?? '';
  await client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Delete: { TableName, Key: { pk: { S: `EXTERNAL_ID#${old}` } } } },
        { Put: { TableName, Item: { pk: { S: `EXTERNAL_ID#${externalId}` }, customerId: { S: id } } } },
        {
          Update: {
            TableName,
            Key: { pk: { S: `CUSTOMER#${id}` } },
            UpdateExpression: 'SET externalId = :e',
            ExpressionAttributeValues: { ':e': { S: externalId } },
          },
        },
      ],
    }),
  );
  return { statusCode: 200, body: JSON.stringify({ id, externalId }) };
};
