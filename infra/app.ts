import { App } from 'aws-cdk-lib';
import { AuthContextError, readAuthContext } from './auth-context.js';
import { CustomersApiStack } from './customers-api-stack.js';
import { addNagChecks } from './nag.js';

const app = new App();
// cdk-nag's AwsSolutions rules: findings are printed on synth, and errors stop it.
addNagChecks(app);

let auth;
try {
  auth = readAuthContext(app);
} catch (error) {
  if (!(error instanceof AuthContextError)) throw error;
  // The message alone, without a stack trace: it is a usage error, not a bug.
  console.error(error.message);
  process.exit(1);
}

new CustomersApiStack(app, 'CustomersApi', {
  description: 'Customers API: HTTP API with JWT authorizer, two rename Lambda functions, customers table',
  ...auth,
});
