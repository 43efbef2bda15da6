import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnRoute, CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { CustomersApiStack } from '../../infra/customers-api-stack.js';
import { addNagChecks } from '../../infra/nag.js';

// cdk-nag 3 is a CDK validation plugin, not an Aspect, and writes no Annotations: findings come back in a
// plugin report, and acknowledgements are `Validations.of(construct).acknowledge({ id, reason })`.

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The context cdk.json gives the real app (feature flags), so the checks see the template `cdk synth` writes. */
const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

// Skip esbuild: no bundling for any stack (npm run synth covers the real bundles).
const newApp = () => new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });

const newStack = (app: App) =>
  new CustomersApiStack(app, 'CustomersApi', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['client-a'] });

/** One line per finding, so a failure names the rule, its severity, the constructs and what to do. */
const findings = (report: PolicyValidationPluginReport): string[] =>
  report.violations.map(
    (violation) =>
      `${violation.severity} ${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}: ${violation.description}`,
  );

const ruleNames = (report: PolicyValidationPluginReport) => report.violations.map((violation) => violation.ruleName).sort();

const acknowledgementsIn = (root: IConstruct): { path: string; id: string; reason: unknown }[] =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({ path: construct.node.path, id, reason })),
      ),
  );

describe('cdk-nag AwsSolutions checks on the CustomersApi stack', () => {
  let app: App;
  let stack: CustomersApiStack;

  beforeAll(() => {
    app = newApp();
    // The same registration infra/app.ts makes, so `npm run synth` runs exactly these checks.
    addNagChecks(app);
    stack = newStack(app);
  });

  it('finds no unacknowledged error and no unacknowledged warning', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);

    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('lets the app synthesize with an empty validation report', () => {
    // Under jest, a failed validation makes synth throw with the report; warnings alone would only be written to it.
    const assembly = app.synth();

    const validation = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(validation.pluginReports.filter((report) => report.pluginName === 'AwsSolutions')).toEqual([]);
  });

  it('gives every acknowledged rule a written reason', () => {
    // None are needed today; any added later must say why the rule does not apply.
    for (const acknowledgement of acknowledgementsIn(stack)) {
      expect(acknowledgement).toEqual({ ...acknowledgement, reason: expect.stringMatching(/\S.{19,}/) });
    }
  });
});

describe('the checks themselves (so a clean report above means something)', () => {
  // The resource types the stack uses, each configured the way the stack must not be.
  const weakenedStack = () => {
    const app = newApp();
    const stack = new Stack(app, 'Weakened');
    const route = new CfnRoute(stack, 'OpenRoute', { apiId: 'api', routeKey: 'PUT /v1/customers/{customer_id}', authorizationType: 'NONE' });
    const stage = new CfnStage(stack, 'UnloggedStage', { apiId: 'api', stageName: '$default' });
    const policy = new CfnPolicy(stack, 'WildcardPolicy', {
      policyName: 'wildcard',
      roles: ['role'],
      policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }] },
    });
    const fn = new CfnFunction(stack, 'OldRuntime', { code: { zipFile: 'exports.handler=()=>{}' }, role: 'arn:aws:iam::123456789012:role/r', runtime: 'nodejs20.x', handler: 'index.handler' });
    const table = new CfnTable(stack, 'NoRecovery', {
      keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
    });
    return { stack, route, stage, policy, fn, table };
  };

  it('report unauthorized routes, unlogged stages, wildcard resources, old runtimes and tables without recovery', () => {
    const { stack } = weakenedStack();

    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);

    expect(ruleNames(report)).toEqual(
      expect.arrayContaining(['AwsSolutions-APIG1', 'AwsSolutions-APIG4', 'AwsSolutions-DDB3', 'AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-L1']),
    );
  });

  it('honour an acknowledgement with a reason on the construct, and only for that rule', () => {
    const { stack, route } = weakenedStack();
    Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'Control case: proves that acknowledgements reach cdk-nag.' });

    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);

    expect(ruleNames(report)).not.toContain('AwsSolutions-APIG4');
    expect(ruleNames(report)).toContain('AwsSolutions-APIG1');
    expect(acknowledgementsIn(stack).map(({ id }) => id.replace(/^annotation::/i, ''))).toEqual(['AwsSolutions-APIG4']);
  });

  it('fail synthesis of an app that registers them the way infra/app.ts does', () => {
    const { stack } = weakenedStack();
    addNagChecks(stack.node.root as App);

    expect(() => (stack.node.root as App).synth()).toThrow(/AwsSolutions-APIG4/);
  });
});
