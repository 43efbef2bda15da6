/** Settings the functions read from their environment, checked once when a container starts. */
export interface Config {
  tableName: string;
  /** Only for DynamoDB Local and tests; in AWS the SDK finds the regional endpoint itself. */
  dynamodbEndpoint?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const tableName = env['TABLE_NAME']?.trim();
  if (!tableName) throw new ConfigError('TABLE_NAME must be set to the DynamoDB table that holds the customers.');
  if (!TABLE_NAME.test(tableName)) {
    throw new ConfigError(`TABLE_NAME ${JSON.stringify(tableName)} is not a valid DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -).`);
  }
  const endpoint = env['DYNAMODB_ENDPOINT']?.trim();
  if (endpoint) {
    try {
      new URL(endpoint);
    } catch {
      throw new ConfigError(`DYNAMODB_ENDPOINT ${JSON.stringify(endpoint)} is not a URL, such as http://127.0.0.1:8000.`);
    }
    return { tableName, dynamodbEndpoint: endpoint };
  }
  return { tableName };
};
