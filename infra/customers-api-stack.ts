import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface CustomersApiStackProps extends StackProps {
  /** Issuer URL of the identity provider; must equal the tokens' `iss` claim. */
  jwtIssuer: string;
  /** Accepted `aud` (or `client_id`) values; a token must carry at least one. */
  jwtAudience: string[];
}

/**
 * esbuild settings for both functions, bundled locally (no Docker).
 * The AWS SDK goes into the bundle, so what runs is the version the tests ran against, and its ES module
 * builds are preferred (`module` before `main`): smaller and quicker to load than the CommonJS ones.
 */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  // The map is written beside index.js without a sourceMappingURL comment, so Node never loads it: parsing the
  // 600 kB map made every cold start about 15 ms (a quarter) slower, and the functions log no stack traces
  // (errors are logged by name and message). Decode a stack by hand with the map from cdk.out if ever needed.
  sourceMapMode: SourceMapMode.EXTERNAL,
  // Stack traces only need the mappings; leaving the sources out keeps the map small.
  sourcesContent: false,
  target: 'node24',
  format: OutputFormat.CJS,
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  externalModules: [],
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

/** The DynamoDB actions the rename needs: the reads, and the three kinds of write inside its transaction. */
export const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] as const;

export const ROUTES = {
  renameByExternalId: '/v1/customers/external/{customer_external_id}',
  renameById: '/v1/customers/{customer_id}',
} as const;

export const THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

export const LOG_RETENTION = RetentionDays.ONE_MONTH;

const projectFile = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

export class CustomersApiStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: CustomersApiStackProps) {
    super(scope, id, props);

    this.table = new Table(this, 'CustomersTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const renameById = this.renameFunction('RenameById', 'functions/rename-by-id/handler.ts');
    const renameByExternalId = this.renameFunction('RenameByExternalId', 'functions/rename-by-external-id/handler.ts');

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      jwtAudience: props.jwtAudience,
      identitySource: ['$request.header.Authorization'],
    });

    this.api = new HttpApi(this, 'HttpApi', {
      apiName: 'CustomersApi',
      description: 'Customers API: rename a customer externalId',
      defaultAuthorizer: authorizer,
      // The $default stage is added below, with throttling and access logs.
      createDefaultStage: false,
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // Request metadata only: no bodies, no headers (so never the Authorization header), no query strings.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    this.addRoute(ROUTES.renameByExternalId, 'RenameByExternalIdIntegration', renameByExternalId);
    this.addRoute(ROUTES.renameById, 'RenameByIdIntegration', renameById);

    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The customers table' });
  }

  private renameFunction(id: string, entry: string): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Our own role rather than the default one with AWSLambdaBasicExecutionRole (logs:* on every log group):
    // the function may write to its own log group and use the table, nothing else.
    const role = new Role(this, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...TABLE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );

    return new NodejsFunction(this, id, {
      entry: projectFile(entry),
      depsLockFilePath: projectFile('package-lock.json'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(10),
      role,
      logGroup,
      environment: {
        TABLE_NAME: this.table.tableName,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: { ...BUNDLING, mainFields: [...BUNDLING.mainFields], externalModules: [...BUNDLING.externalModules] },
    });
  }

  private addRoute(path: string, integrationId: string, fn: NodejsFunction): void {
    this.api.addRoutes({
      path,
      methods: [HttpMethod.PUT],
      integration: new HttpLambdaIntegration(integrationId, fn, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
    });
  }
}
