import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { AuthContextError, readAuthContext } from '../../infra/auth-context.js';
import { BUNDLING, CustomersApiStack, TABLE_ACTIONS } from '../../infra/customers-api-stack.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The context cdk.json gives the real app (feature flags), so the tests see the template `cdk synth` writes. */
const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

const ISSUER = 'https://issuer.example.com/';
const AUDIENCE = ['client-a', 'client-b'];

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const only = (resources: Record<string, Resource>, what: string): [string, Resource] => {
  const entries = Object.entries(resources);
  if (entries.length !== 1) throw new Error(`expected exactly one ${what}, found ${entries.length}`);
  return entries[0]!;
};

let template: Template;
let tableId: string;
let functions: Record<string, Resource>;

beforeAll(() => {
  // Skip esbuild: no bundling for any stack (npm run synth covers the real bundles).
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new CustomersApiStack(app, 'CustomersApi', { jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
  template = Template.fromStack(stack);
  [tableId] = only(template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>, 'table');
  functions = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
});

describe('HTTP API', () => {
  it('has exactly the two PUT routes', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => (route as Resource).Properties['RouteKey'],
    );
    expect(routeKeys.sort()).toEqual(['PUT /v1/customers/external/{customer_external_id}', 'PUT /v1/customers/{customer_id}']);
  });

  it('puts the JWT authorizer on every route', () => {
    const [authorizerId] = only(template.findResources('AWS::ApiGatewayV2::Authorizer') as Record<string, Resource>, 'authorizer');
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
    expect(routes).toHaveLength(2);
    for (const route of routes) {
      expect(route.Properties['AuthorizationType']).toBe('JWT');
      expect(route.Properties['AuthorizerId']).toEqual({ Ref: authorizerId });
    }
  });

  it('configures the authorizer with the issuer, the audiences and the Authorization header', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: ISSUER, Audience: AUDIENCE },
    });
  });

  it('sends each route to its own function with payload format 2.0', () => {
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration') as Record<string, Resource>;
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
    const targets = new Map<unknown, unknown>();
    for (const route of routes) {
      const target = route.Properties['Target'] as { 'Fn::Join': [string, [string, { Ref: string }]] };
      const integration = integrations[target['Fn::Join'][1][1].Ref];
      expect(integration?.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      const fnId = (integration?.Properties['IntegrationUri'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      targets.set(route.Properties['RouteKey'], fnId);
    }
    expect(new Set(targets.values()).size).toBe(2);
    for (const fnId of targets.values()) expect(Object.keys(functions)).toContain(fnId);
  });

  it('throttles the $default stage', () => {
    const [, stage] = only(template.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>, 'stage');
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('writes access logs without bodies, headers or query strings', () => {
    const [, stage] = only(template.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>, 'stage');
    const format = (stage.Properties['AccessLogSettings'] as { Format: string }).Format;
    expect(format).toContain('$context.requestId');
    expect(() => JSON.parse(format)).not.toThrow();
    expect(format).not.toMatch(/request\.header|header\.|authorization|body|querystring/i);
    // No JWT claims (they identify the caller), no request parameters, no body or mapping input.
    for (const forbidden of ['$context.authorizer.claims', '$context.authorizer.principalId', '$request.', '$input', 'body', '$stageVariables']) {
      expect(format).not.toContain(forbidden);
    }
  });

  it('logs only request metadata: every access log field is one of the allowed $context variables', () => {
    const [, stage] = only(template.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>, 'stage');
    const fields = JSON.parse((stage.Properties['AccessLogSettings'] as { Format: string }).Format) as Record<string, string>;
    const allowed = new Set([
      '$context.requestId',
      '$context.requestTime',
      '$context.identity.sourceIp',
      '$context.routeKey',
      '$context.status',
      '$context.responseLength',
      '$context.responseLatency',
      '$context.integrationStatus',
      '$context.integrationLatency',
      '$context.integrationErrorMessage',
      '$context.authorizer.error',
    ]);
    for (const [name, value] of Object.entries(fields)) expect({ name, value, allowed: allowed.has(value) }).toEqual({ name, value, allowed: true });
  });

  it('sends access logs to a log group of its own that keeps them for a month', () => {
    const [, stage] = only(template.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>, 'stage');
    const destination = (stage.Properties['AccessLogSettings'] as { DestinationArn: { 'Fn::GetAtt': [string, string] } }).DestinationArn;
    const logGroups = template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;
    const [groupId] = destination['Fn::GetAtt'];
    expect(logGroups[groupId]?.Properties['RetentionInDays']).toBe(30);
    for (const fn of Object.values(functions)) {
      expect((fn.Properties['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref).not.toBe(groupId);
    }
  });

  it('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', { Value: { Ref: tableId } });
  });
});

describe('Lambda functions', () => {
  it('are two, on Node.js 24 and arm64, with the table name and source maps in the environment', () => {
    expect(Object.keys(functions)).toHaveLength(2);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 1024,
        Timeout: 10,
        Environment: { Variables: { TABLE_NAME: { Ref: tableId }, NODE_OPTIONS: '--enable-source-maps' } },
      });
    }
  });

  it('each log to a log group of its own that keeps logs for a month', () => {
    const logGroups = template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;
    const used = Object.values(functions).map(
      (fn) => ((fn.Properties['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup).Ref,
    );
    expect(new Set(used).size).toBe(2);
    for (const id of used) expect(logGroups[id]?.Properties['RetentionInDays']).toBe(30);
    for (const group of Object.values(logGroups)) expect(group.Properties['RetentionInDays']).toBe(30);
  });

  it('may only Get/Put/Delete/UpdateItem on the table itself, and write their own logs', () => {
    const roles = template.findResources('AWS::IAM::Role') as Record<string, Resource>;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    for (const fn of Object.values(functions)) {
      const roleId = (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const role = roles[roleId];
      // No managed policies (AWSLambdaBasicExecutionRole would allow logs on every log group) and no inline ones.
      expect(role?.Properties['ManagedPolicyArns']).toBeUndefined();
      expect(role?.Properties['Policies']).toBeUndefined();

      const attached = policies.filter((policy) =>
        (policy.Properties['Roles'] as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })),
      );
      expect(attached).toHaveLength(1);
      const statements = (attached[0]!.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement;
      const actionsOf = (statement: Statement) => [statement.Action].flat().sort();

      const dynamo = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      expect(dynamo[0]!.Effect).toBe('Allow');
      expect(actionsOf(dynamo[0]!)).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
      // The table ARN and nothing else: no '*', no index ARNs, no list.
      expect(dynamo[0]!.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });

      const logGroupId = ((fn.Properties['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup).Ref;
      const others = statements.filter((statement) => !dynamo.includes(statement));
      expect(others).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      ]);

      for (const statement of statements) {
        expect(JSON.stringify(statement.Resource)).not.toContain('*');
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      }
    }
  });

  it('grant the actions the stack module declares', () => {
    expect([...TABLE_ACTIONS].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });
});

describe('bundling', () => {
  it('bundles locally with the AWS SDK inside, preferring ES module builds, minified, CommonJS for Node 24', () => {
    expect(BUNDLING).toMatchObject({
      minify: true,
      sourceMap: true,
      target: 'node24',
      format: OutputFormat.CJS,
      bundleAwsSDK: true,
      forceDockerBundling: false,
    });
    expect(BUNDLING.mainFields).toEqual(['module', 'main']);
    expect(BUNDLING.externalModules).toEqual([]);
  });
});

describe('customers table', () => {
  it('is keyed by pk alone, on demand, with point-in-time recovery, retained on delete', () => {
    const [, table] = only(template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>, 'table');
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.Properties['KeySchema']).toHaveLength(1);
    expect(table.Properties['GlobalSecondaryIndexes']).toBeUndefined();
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('readAuthContext', () => {
  const appWith = (context: Record<string, unknown>) => new App({ context });

  it('refuses a missing issuer and audience, naming both keys and showing the command', () => {
    expect(() => readAuthContext(appWith({}))).toThrow(AuthContextError);
    expect(() => readAuthContext(appWith({}))).toThrow(/jwtIssuer[\s\S]*jwtAudience/);
    expect(() => readAuthContext(appWith({}))).toThrow('cdk deploy -c jwtIssuer=https://... -c jwtAudience=...');
  });

  it('names both keys when only one is missing', () => {
    for (const context of [{ jwtIssuer: ISSUER }, { jwtAudience: 'a' }, { jwtIssuer: ' ', jwtAudience: 'a' }]) {
      expect(() => readAuthContext(appWith(context))).toThrow(/jwtIssuer[\s\S]*jwtAudience/);
    }
  });

  it('accepts only an https issuer URL', () => {
    for (const jwtIssuer of ['http://issuer.example.com/', 'ftp://issuer.example.com']) {
      expect(() => readAuthContext(appWith({ jwtIssuer, jwtAudience: 'a' }))).toThrow(/^jwtIssuer .* must be an https:\/\/ URL/);
    }
    for (const jwtIssuer of ['issuer.example.com', 'not a url']) {
      expect(() => readAuthContext(appWith({ jwtIssuer, jwtAudience: 'a' }))).toThrow(/^jwtIssuer .* is not a URL/);
    }
    expect(readAuthContext(appWith({ jwtIssuer: ISSUER, jwtAudience: 'a' })).jwtIssuer).toBe(ISSUER);
  });

  it('refuses an audience list with no audience in it', () => {
    expect(() => readAuthContext(appWith({ jwtIssuer: ISSUER, jwtAudience: ' , ,' }))).toThrow(/jwtAudience/);
  });

  it('splits a comma-separated audience and trims it', () => {
    expect(readAuthContext(appWith({ jwtIssuer: ISSUER, jwtAudience: ' client-a, client-b ,,client-a' }))).toEqual({
      jwtIssuer: ISSUER,
      jwtAudience: ['client-a', 'client-b'],
    });
  });
});

describe('the CDK app (infra/app.ts)', () => {
  const runApp = (context: Record<string, unknown>) => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-app-test-'));
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        cwd: projectRoot,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '', CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
        timeout: 60_000,
      });
      return { ...result, wroteTemplate: existsSync(join(outdir, 'CustomersApi.template.json')) };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  };

  it('exits with the usage message when the context is missing', () => {
    const result = runApp({});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Missing CDK context jwtIssuer and jwtAudience');
    expect(result.stderr).toContain('cdk deploy -c jwtIssuer=https://... -c jwtAudience=...');
    expect(result.wroteTemplate).toBe(false);
  });

  it('synthesizes the CustomersApi stack when the context is given', () => {
    const result = runApp({ jwtIssuer: ISSUER, jwtAudience: 'client-a', 'aws:cdk:bundling-stacks': [] });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.wroteTemplate).toBe(true);
  });
});
