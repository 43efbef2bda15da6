/**
 * DynamoDB Local ignores credentials in shared-database mode but the SDK still signs requests, so a machine
 * with no AWS set-up gets fixed local ones. DynamoDB Local 2+ accepts only letters and digits in the key.
 */
export const useLocalAwsDefaults = (env: NodeJS.ProcessEnv = process.env): void => {
  if (!env['AWS_ACCESS_KEY_ID'] && !env['AWS_PROFILE']) {
    env['AWS_ACCESS_KEY_ID'] = 'local';
    env['AWS_SECRET_ACCESS_KEY'] = 'local';
  }
  env['AWS_REGION'] ??= env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
};
