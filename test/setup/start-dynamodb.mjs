// jest runs globalSetup outside its transform, so this plain module loads the TypeScript launcher through tsx.
import { register } from 'tsx/esm/api';

export default async function startDynamoDb() {
  const unregister = register();
  const { startDynamoDbLocal } = await import('../../local/dynamodb-local.ts');
  const { useLocalAwsDefaults } = await import('../../local/credentials.ts');
  await unregister();
  useLocalAwsDefaults(process.env);
  const dynamodb = await startDynamoDbLocal();
  // Workers start after this and inherit the environment.
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
  globalThis.__DYNAMODB_LOCAL__ = dynamodb;
}
