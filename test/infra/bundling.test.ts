// The functions as `cdk synth` really bundles them (esbuild runs here, unlike in stack.test.ts): the settings of
// BUNDLING must show in the code that would be deployed. PERFORMANCE.md explains why each one matters.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { BUNDLING, CustomersApiStack } from '../../infra/customers-api-stack.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

type Resource = { Type: string; Properties: Record<string, unknown> };

interface Bundled {
  logicalId: string;
  code: string;
  file: string;
  map: { sources: string[]; sourcesContent?: unknown; mappings: string } | undefined;
}

let workDir: string;
let bundled: Bundled[];

beforeAll(() => {
  // Outside the repository, whose package.json ("type": "module") would make index.js load as an ES module.
  workDir = mkdtempSync(join(tmpdir(), 'customers-api-bundling-'));
  writeFileSync(join(workDir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
  const outdir = join(workDir, 'cdk.out');
  const app = new App({ outdir, context: cdkJsonContext() });
  new CustomersApiStack(app, 'CustomersApi', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['client-a'] });
  const template = app.synth().getStackByName('CustomersApi').template as { Resources: Record<string, Resource> };
  bundled = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const key = String((resource.Properties['Code'] as { S3Key: string }).S3Key);
      const file = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js');
      const mapFile = `${file}.map`;
      return {
        logicalId,
        file,
        code: readFileSync(file, 'utf8'),
        map: existsSync(mapFile) ? (JSON.parse(readFileSync(mapFile, 'utf8')) as Bundled['map']) : undefined,
      };
    });
}, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const packageOf = (source: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(source);

describe('the bundled functions', () => {
  it('are the two functions of the stack', () => {
    expect(bundled.map(({ logicalId }) => logicalId.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['RenameByExternalId', 'RenameById']);
  });

  it('are minified, under 400 kB', () => {
    for (const { code } of bundled) {
      expect(Buffer.byteLength(code)).toBeLessThan(400_000);
      // Minified: a handful of very long lines, not tens of thousands of short ones.
      expect(code.split('\n').length).toBeLessThan(50);
    }
  });

  it('carry the AWS SDK and Middy inside (bundleAwsSDK, no external modules): none of them is required at run time', () => {
    for (const { code, map } of bundled) {
      for (const name of ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@middy/core', '@middy/http-json-body-parser']) {
        expect(code).not.toMatch(new RegExp(`require\\(["']${name}["']\\)`));
        expect((map?.sources ?? []).some((source) => packageOf(source)?.[1] === name)).toBe(true);
      }
      // What the bundle can require: Node's built-in modules only. (`[require("…")` is the SDK's advice in an error
      // message about optional signers, not a call.)
      const required = [...code.matchAll(/[^\w.[]require\("([^"]+)"\)/g)].map(([, name]) => name ?? '');
      expect(required.length).toBeGreaterThan(0);
      expect(required.filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))).toEqual([]);
    }
  });

  it('were built from the ES module builds of the AWS SDK (mainFields module, main), not its CommonJS builds', () => {
    for (const { map } of bundled) {
      expect(map).toBeDefined();
      const packaged = (map?.sources ?? []).map(packageOf).filter((match) => match !== null);
      const sdk = packaged.filter(([, name]) => name?.startsWith('@aws-sdk/') || name?.startsWith('@smithy/'));
      expect(sdk.length).toBeGreaterThan(50);
      expect(sdk.filter(([, , path]) => path?.startsWith('dist-cjs/'))).toEqual([]);
      expect(sdk.filter(([, , path]) => path?.startsWith('dist-es/')).length).toBeGreaterThan(50);
      expect(packaged.some(([, name]) => name === '@aws-sdk/client-dynamodb')).toBe(true);
    }
  });

  it('write their source map beside the code, without sources, and unlinked so that a cold start never parses it', () => {
    expect(BUNDLING).toMatchObject({ sourceMap: true, sourcesContent: false, sourceMapMode: 'external' });
    for (const { code, map } of bundled) {
      expect(map?.mappings.length).toBeGreaterThan(0);
      expect(map?.sourcesContent).toBeUndefined();
      expect(code).not.toContain('sourceMappingURL');
    }
  });

  it('load as CommonJS on this Node (the Lambda runtime major) and export the handler, checking TABLE_NAME at load', () => {
    for (const { file } of bundled) {
      const load = (env: Record<string, string>) =>
        spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(file)}); process.stdout.write(typeof m.handler);`], {
          cwd: workDir,
          encoding: 'utf8',
          env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1', NODE_OPTIONS: '', ...env },
          timeout: 30_000,
        });
      const loaded = load({ TABLE_NAME: 'customers' });
      expect(loaded.stderr).toBe('');
      expect(loaded.stdout).toBe('function');
      const misconfigured = load({});
      expect(misconfigured.status).not.toBe(0);
      expect(misconfigured.stderr).toContain('TABLE_NAME must be set');
    }
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
