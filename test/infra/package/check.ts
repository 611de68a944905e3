// Packs the package (npm pack, which builds lib/ first), installs the tarball offline into two fresh
// apps, a CommonJS one and an ES module one (TypeScript, compiled by tsc against the package's
// declarations), and synthesizes each with cdk-nag. Offline: the apps' other dependencies are linked
// from this repository's node_modules (`file:` links), the tarball brings no registry download.
// Run by .ci/run: npx tsx test/infra/package/check.ts
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODULES = realpathSync(join(ROOT, 'node_modules'));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

const work = mkdtempSync(join(tmpdir(), 'ecs-autopilot-package-'));
run('npm', ['pack', '--silent', '--pack-destination', work], ROOT);
const tarball = join(work, readdirSync(work).find((file) => file.endsWith('.tgz')) as string);
const listing = run('tar', ['-tzf', tarball], work);
for (const expected of [
  'package/lib/index.mjs',
  'package/lib/index.cjs',
  'package/lib/types/infra/index.d.ts',
  'package/LICENSE',
  ...['drain-instance', 'run-scheduled-task', 'detect-failed-start', 'scale-capacity'].map(
    (name) => `package/lib/assets/${name}/index.mjs`,
  ),
]) {
  if (!listing.split('\n').includes(expected)) throw new Error(`${expected} is not in the package`);
}
for (const line of listing.split('\n')) {
  if (/\.test\.ts$|^package\/(functions|shared|test)\//.test(line))
    throw new Error(`${line} should not ship`);
}

// Everything the package and the apps need besides the tarball, linked (no download).
const linked = [
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.peerDependencies ?? {}),
  'cdk-nag',
];
for (const kind of ['cjs', 'esm'] as const) {
  const app = join(work, kind);
  cpSync(join(import.meta.dirname, 'apps', kind), app, { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: `sample-${kind}-app`,
        private: true,
        ...(kind === 'esm' ? { type: 'module' } : {}),
        dependencies: {
          [manifest.name]: `file:${tarball}`,
          ...Object.fromEntries(linked.map((name) => [name, `file:${join(MODULES, name)}`])),
        },
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  // The construct loads nothing that is not declared: no esbuild, no cdk-nag of ours, no lock file.
  if (existsSync(join(app, 'node_modules', manifest.name, 'node_modules'))) {
    throw new Error(`${manifest.name} installed dependencies of its own`);
  }
  run(process.execPath, [join(MODULES, 'typescript', 'bin', 'tsc'), '-p', '.'], app);
  run(process.execPath, [join('dist', 'app.js')], app);
  // Both the app's synth and its functions' code must come from the package's prebuilt assets.
  const out = join(app, 'cdk.out');
  const template = JSON.parse(readFileSync(join(out, 'Autopilot.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string }>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  if (functions.length !== 4)
    throw new Error(`${kind}: ${functions.length} functions synthesized, expected 4`);
  const assets = readdirSync(out).filter((entry) => entry.startsWith('asset.'));
  for (const asset of assets) {
    if (!existsSync(join(out, asset, 'index.mjs'))) throw new Error(`${kind}: ${asset} has no index.mjs`);
  }
  console.log(
    `${kind}: installed ${manifest.name} from ${tarball}, synthesized with cdk-nag (${assets.length} assets).`,
  );
}
