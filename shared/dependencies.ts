import { readConfig } from './config.js';
import { createCustomerRepository } from './customers/repository.js';
import type { RenameDependencies } from './customers/rename.js';
import { createDocumentClient } from './dynamodb/client.js';

/** What a Lambda container builds once, at cold start, from its environment. */
export const dependenciesFromEnvironment = (env: NodeJS.ProcessEnv = process.env): RenameDependencies => {
  const config = readConfig(env);
  const client = createDocumentClient({ ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}) });
  return { repository: createCustomerRepository(client, config.tableName) };
};
