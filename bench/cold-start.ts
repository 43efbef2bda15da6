import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { SynthesizedFunction } from './synth.js';
import { kb, median, ms, ratio, summarize, type Row, type SectionResult } from './support.js';

const projectRoot = fileURLToPath(new URL('../', import.meta.url));

/** The size limit of target 3, in bytes (400 kB, counted in thousands: the stricter reading of "400 KB"). */
const SIZE_LIMIT = 400_000;
const MAX_RATIO = 1.15;

/**
 * Requires the bundle given as argument, as the Lambda runtime requires a CommonJS handler file, checks that it
 * exports the handler, and prints how long the require took inside the process.
 */
const LOADER = `
const start = process.hrtime.bigint();
const loaded = require(process.argv[2]);
const took = Number(process.hrtime.bigint() - start) / 1e6;
if (typeof loaded[process.argv[3]] !== 'function') { console.error('no handler export ' + process.argv[3]); process.exit(3); }
process.stdout.write(String(took));
`;

interface Bundle {
  name: string;
  file: string;
  exportName: string;
}

interface Timing {
  /** Wall time of the whole `node` process, spawn to exit. */
  wall: number[];
  /** The require alone, timed inside the process. */
  require: number[];
}

const synthesize = (outdir: string): SynthesizedFunction[] => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench/synth.ts'), outdir], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (result.status !== 0) throw new Error(`cdk synth of the stack failed (${result.status ?? result.signal}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as SynthesizedFunction[];
};

/** The reference bundle: @aws-sdk/client-dynamodb alone, esbuild minified, ES module sources preferred, CommonJS. */
const buildReference = async (outdir: string): Promise<string> => {
  const outfile = join(outdir, 'reference', 'index.js');
  await build({
    entryPoints: [join(projectRoot, 'bench/reference/handler.ts')],
    absWorkingDir: projectRoot,
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
    logLevel: 'error',
  });
  return outfile;
};

export interface ColdStartOptions {
  /** Process starts per bundle and per flag set; the issue asks for at least 15. */
  runs: number;
}

/** Target 3: bundle size and module initialisation time of both functions against the reference bundle. */
export const measureColdStart = async ({ runs }: ColdStartOptions): Promise<SectionResult> => {
  // Outside the repository: its package.json says "type": "module", which would make index.js load as ESM.
  const workDir = mkdtempSync(join(tmpdir(), 'customers-api-bench-'));
  try {
    // As in Lambda's /var/task (no package.json: .js is CommonJS), stated explicitly so no stray file above counts.
    writeFileSync(join(workDir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    const loader = join(workDir, 'load.cjs');
    writeFileSync(loader, LOADER);

    const synthStart = Date.now();
    const functions = synthesize(join(workDir, 'cdk.out'));
    const synthMs = Date.now() - synthStart;
    const byName = (prefix: string) => {
      const found = functions.find(({ logicalId }) => logicalId.startsWith(prefix) && !logicalId.startsWith(`${prefix}Logs`));
      if (found === undefined) throw new Error(`the synthesized stack has no ${prefix} function (found ${functions.map(({ logicalId }) => logicalId).join(', ')})`);
      return found;
    };
    const byId = byName('RenameById');
    const byExternalId = byName('RenameByExternalId');
    // The Lambda runtime runs the function with the stack's NODE_OPTIONS; a cold start there pays for them.
    const lambdaNodeOptions = byId.nodeOptions;
    const reference = await buildReference(workDir);

    const handlerFile = (fn: SynthesizedFunction) => {
      const [file = 'index', exportName = 'handler'] = fn.handler.split('.');
      return { file: join(fn.assetDir, `${file}.js`), exportName };
    };
    const bundles: Bundle[] = [
      { name: 'reference', file: reference, exportName: 'handler' },
      { name: 'rename-by-id', ...handlerFile(byId) },
      { name: 'rename-by-external-id', ...handlerFile(byExternalId) },
    ];
    for (const bundle of bundles) if (!existsSync(bundle.file)) throw new Error(`${bundle.name}: no bundle at ${bundle.file}`);

    const flagSets = [
      { name: 'lambda', nodeOptions: lambdaNodeOptions },
      { name: 'plain', nodeOptions: '' },
    ];
    const env = (nodeOptions: string) => ({
      PATH: process.env['PATH'] ?? '',
      // What Lambda sets, and the stack's environment: the bundles check TABLE_NAME when they load.
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'customers',
      NODE_OPTIONS: nodeOptions,
    });
    const timings = new Map<string, Timing>();
    const timing = (key: string) => {
      let found = timings.get(key);
      if (found === undefined) timings.set(key, (found = { wall: [], require: [] }));
      return found;
    };
    const spawnTimed = (args: string[], nodeOptions: string) => {
      const start = process.hrtime.bigint();
      const result = spawnSync(process.execPath, args, { env: env(nodeOptions), encoding: 'utf8', timeout: 30_000 });
      const wall = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
      return { wall, stdout: result.stdout };
    };

    // One warm-up round fills the page cache; then rounds that rotate the order, so drift reaches every bundle alike.
    const cases = flagSets.flatMap((flags) => [
      { key: `${flags.name}/bare`, flags, bundle: undefined as Bundle | undefined },
      ...bundles.map((bundle) => ({ key: `${flags.name}/${bundle.name}`, flags, bundle })),
    ]);
    for (let round = -1; round < runs; round += 1) {
      for (let index = 0; index < cases.length; index += 1) {
        const { key, flags, bundle } = cases[(index + Math.max(0, round)) % cases.length]!;
        const { wall, stdout } =
          bundle === undefined
            ? spawnTimed(['-e', '0'], flags.nodeOptions)
            : spawnTimed([loader, bundle.file, bundle.exportName], flags.nodeOptions);
        if (round < 0) continue;
        timing(key).wall.push(wall);
        if (bundle !== undefined) timing(key).require.push(Number(stdout));
      }
    }

    const initMs = (flags: string, bundle: string) => median(timing(`${flags}/${bundle}`).wall) - median(timing(`${flags}/bare`).wall);
    const size = (file: string) => statSync(file).size;
    const referenceSize = size(reference);
    const rows: Row[] = [];
    const section = 'Cold start';
    rows.push({
      section,
      measure: 'reference (client-dynamodb alone): size, init',
      figure: `${kb(referenceSize)}, ${ms(initMs('lambda', 'reference'), 1)}`,
      target: '(the floor)',
      pass: null,
    });
    const details: Record<string, unknown> = {
      node: process.version,
      runs,
      synthMs,
      lambdaNodeOptions,
      runtime: byId.runtime,
      architectures: byId.architectures,
      referenceBytes: referenceSize,
      wallMs: Object.fromEntries([...timings].map(([key, { wall }]) => [key, summarize(wall)])),
      requireMs: Object.fromEntries([...timings].filter(([, { require }]) => require.length > 0).map(([key, { require }]) => [key, summarize(require)])),
    };
    for (const bundle of bundles.slice(1)) {
      const bytes = size(bundle.file);
      const sizeRatio = bytes / referenceSize;
      const initRatio = initMs('lambda', bundle.name) / initMs('lambda', 'reference');
      const plainRatio = initMs('plain', bundle.name) / initMs('plain', 'reference');
      const requireRatio = median(timing(`lambda/${bundle.name}`).require) / median(timing('lambda/reference').require);
      const mapFile = `${bundle.file}.map`;
      rows.push(
        {
          section,
          measure: `${bundle.name}: minified size`,
          figure: `${kb(bytes)} (${ratio(sizeRatio)} reference)`,
          target: `≤ ${MAX_RATIO}× and < ${kb(SIZE_LIMIT)}`,
          pass: sizeRatio <= MAX_RATIO && bytes < SIZE_LIMIT,
        },
        {
          section,
          measure: `${bundle.name}: init with the stack's NODE_OPTIONS (median of ${runs})`,
          figure: `${ms(initMs('lambda', bundle.name), 1)} (${ratio(initRatio)} reference)`,
          target: `≤ ${MAX_RATIO}×`,
          pass: initRatio <= MAX_RATIO && runs >= 15,
        },
        {
          section,
          measure: `${bundle.name}: init without NODE_OPTIONS; require() timed in-process`,
          figure: `${ms(initMs('plain', bundle.name), 1)} (${ratio(plainRatio)}); ${ms(median(timing(`lambda/${bundle.name}`).require), 1)} (${ratio(requireRatio)})`,
          target: '(reported)',
          pass: null,
        },
      );
      details[bundle.name] = {
        bytes,
        sizeRatio,
        sourceMapBytes: existsSync(mapFile) ? size(mapFile) : null,
        initMsLambda: initMs('lambda', bundle.name),
        initRatioLambda: initRatio,
        initMsPlain: initMs('plain', bundle.name),
        initRatioPlain: plainRatio,
        requireRatioLambda: requireRatio,
      };
    }
    details['referenceInitMsLambda'] = initMs('lambda', 'reference');
    details['referenceInitMsPlain'] = initMs('plain', 'reference');
    rows.push({
      section,
      measure: 'Node running the bundles / the stack runtime',
      figure: `${process.version} / ${byId.runtime} ${byId.architectures.join(',')}`,
      target: 'same major version',
      pass: byId.runtime === `nodejs${process.versions.node.split('.')[0]}.x`,
    });
    return { rows, details };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
};
