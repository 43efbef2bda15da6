import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Customer } from '../../shared/customers/customer.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { ensureTable } from '../../local/table.js';
import { writeCustomerIfAbsent } from '../../local/write-customer.js';

/** A fresh table on the DynamoDB Local that the jest global setup started, one per test file. */
export interface TestTable {
  tableName: string;
  endpoint: string;
  client: DynamoDBDocumentClient;
  put(...customers: Customer[]): Promise<void>;
  scan(): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

export const endpointOfTestDynamoDb = (): string => {
  const endpoint = process.env['DYNAMODB_ENDPOINT'];
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with `npm test`, whose setup starts DynamoDB Local.');
  return endpoint;
};

export const createTestTable = async (): Promise<TestTable> => {
  const endpoint = endpointOfTestDynamoDb();
  const tableName = `customers-test-${randomUUID()}`;
  const client = createDocumentClient({ endpoint });
  await ensureTable(client, tableName);
  return {
    tableName,
    endpoint,
    client,
    async put(...customers) {
      for (const customer of customers) await writeCustomerIfAbsent(client, tableName, customer);
    },
    async scan() {
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    },
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
};
