export default async function stopDynamoDb() {
  await globalThis.__DYNAMODB_LOCAL__?.stop();
}
