// Synthesizes the CustomersApi stack WITH bundling, as `cdk synth` does, into the folder given as the first
// argument, and prints what the benchmark needs about each function as JSON. Run in a process of its own so
// that aws-cdk-lib never sits in the heap of the process that measures latency.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { CustomersApiStack } from '../infra/customers-api-stack.js';

export interface SynthesizedFunction {
  logicalId: string;
  /** Folder of the function's code asset in the cloud assembly (index.js, and index.js.map when source maps are on). */
  assetDir: string;
  handler: string;
  runtime: string;
  architectures: string[];
  nodeOptions: string;
}

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node --import tsx bench/synth.ts <outdir>');

const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const { context } = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const app = new App({ outdir, context });
new CustomersApiStack(app, 'CustomersApi', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['bench'] });
const template = app.synth().getStackByName('CustomersApi').template as {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
};

const functions: SynthesizedFunction[] = Object.entries(template.Resources)
  .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
  .map(([logicalId, { Properties }]) => {
    const key = String(Properties['Code']?.S3Key ?? '');
    if (!key.endsWith('.zip')) throw new Error(`${logicalId}: unexpected code location ${JSON.stringify(Properties['Code'])}`);
    return {
      logicalId,
      assetDir: join(outdir, `asset.${key.slice(0, -'.zip'.length)}`),
      handler: String(Properties['Handler']),
      runtime: String(Properties['Runtime']),
      architectures: (Properties['Architectures'] ?? []) as string[],
      nodeOptions: String(Properties['Environment']?.Variables?.NODE_OPTIONS ?? ''),
    };
  });
process.stdout.write(JSON.stringify(functions));
