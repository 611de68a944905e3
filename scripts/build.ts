// Bundles each function (functions/<name>/index.ts) into dist/<name>/index.mjs: ESM, minified, source map.
// With --package, also builds the installable package into lib/: the construct as ESM and CommonJS with
// type declarations, and the function bundles as prebuilt assets (lib/assets/<name>).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../infra/bundle-options';

export const FUNCTIONS_DIR = 'functions';
export const DIST_DIR = 'dist';
export const LIB_DIR = 'lib';

export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR)
    .filter((name) => statSync(join(FUNCTIONS_DIR, name)).isDirectory())
    .filter((name) => {
      try {
        return statSync(join(FUNCTIONS_DIR, name, 'index.ts')).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

export interface BundleSize {
  function: string;
  bytes: number;
  gzipBytes: number;
}

export async function buildFunction(name: string): Promise<BundleSize> {
  const outfile = join(DIST_DIR, name, 'index.mjs');
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [join(FUNCTIONS_DIR, name, 'index.ts')],
    outfile,
    metafile: true,
  });
  writeFileSync(join(DIST_DIR, name, 'meta.json'), JSON.stringify(result.metafile));
  const bytes = statSync(outfile).size;
  return { function: name, bytes, gzipBytes: gzipSync(readFileSync(outfile)).length };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Relative imports of emitted declarations made explicit (`./props` → `./props.js`) for node16 apps. */
function explicitExtensions(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      explicitExtensions(path);
      continue;
    }
    if (!path.endsWith('.d.ts')) continue;
    const text = readFileSync(path, 'utf8').replace(
      /(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\2/g,
      (match, head: string, quote: string, specifier: string) => {
        const target = join(dirname(path), specifier);
        if (existsSync(`${target}.d.ts`)) return `${head}${quote}${specifier}.js${quote}`;
        if (existsSync(join(target, 'index.d.ts'))) return `${head}${quote}${specifier}/index.js${quote}`;
        return match;
      },
    );
    writeFileSync(path, text);
  }
}

/**
 * lib/: index.mjs and index.cjs (the construct; peer and runtime dependencies stay imports),
 * types/ (declarations, ESM) and cjs-types/ (the same, read as CommonJS), assets/<function>/ (the
 * bundles of `npm run build`).
 */
export async function buildPackage(names: string[]): Promise<void> {
  rmSync(LIB_DIR, { recursive: true, force: true });
  for (const name of names) {
    const assets = join(LIB_DIR, 'assets', name);
    mkdirSync(assets, { recursive: true });
    for (const file of ['index.mjs', 'index.mjs.map'])
      copyFileSync(join(DIST_DIR, name, file), join(assets, file));
  }
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const external = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ].flatMap((name) => [name, `${name}/*`]);
  const common = {
    entryPoints: ['infra/index.ts'],
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    external,
    logLevel: 'warning' as const,
  };
  await build({ ...common, format: 'esm', outfile: join(LIB_DIR, 'index.mjs') });
  // CommonJS has no import.meta: the module's own URL from __filename (function.ts finds assets by it).
  await build({
    ...common,
    format: 'cjs',
    outfile: join(LIB_DIR, 'index.cjs'),
    define: { 'import.meta.url': '__moduleUrl' },
    banner: { js: "const __moduleUrl=require('node:url').pathToFileURL(__filename).href;" },
  });
  const tsc = spawnSync(
    process.execPath,
    [
      join('node_modules', 'typescript', 'bin', 'tsc'),
      'infra/index.ts',
      '--declaration',
      '--emitDeclarationOnly',
      '--outDir',
      join(LIB_DIR, 'types'),
      '--rootDir',
      '.',
      '--target',
      'ES2023',
      // As tsconfig.json: the code reached from the construct uses ES2024's library (String#toWellFormed).
      '--lib',
      'ES2024',
      '--module',
      'ESNext',
      '--moduleResolution',
      'Bundler',
      '--strict',
      '--skipLibCheck',
      '--esModuleInterop',
      '--types',
      'node',
    ],
    { stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error('tsc could not emit the declarations');
  explicitExtensions(join(LIB_DIR, 'types'));
  cpSync(join(LIB_DIR, 'types'), join(LIB_DIR, 'cjs-types'), { recursive: true });
  writeFileSync(join(LIB_DIR, 'cjs-types', 'package.json'), '{ "type": "commonjs" }\n');
  await buildCli(join(LIB_DIR, 'cli'));
  console.log(
    `Package built in ${relative('.', LIB_DIR)}/ (construct, declarations, ${names.length} function assets, the ecs-autopilot command).`,
  );
}

/**
 * The package's bin (lib/cli/ecs-autopilot.js): scripts/ecs-autopilot.ts as ES modules, one chunk per
 * command, so a command loads only what it uses. The local endpoint (test/) and development tools stay
 * out: in an installed package the commands that need them say so, the others run with --aws.
 */
export async function buildCli(outdir: string): Promise<void> {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Record<
    'dependencies' | 'peerDependencies' | 'devDependencies',
    Record<string, string> | undefined
  >;
  const external = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
  ].flatMap((name) => [name, `${name}/*`]);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { 'ecs-autopilot': join('scripts', 'ecs-autopilot.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir,
    external,
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'error',
    plugins: [
      {
        name: 'development-only',
        setup(builder) {
          // The local endpoint and the build itself (esbuild) are development tools, not shipped.
          builder.onResolve({ filter: /(^|\/)(test\/|build$)/ }, (args) => ({
            path: args.path,
            external: true,
          }));
        },
      },
    ],
  });
}

async function main() {
  const names = functionNames();
  if (names.length === 0) {
    console.log('No functions to build.');
    return;
  }
  const sizes = await Promise.all(names.map(buildFunction));
  console.log('Bundle sizes (dist/<function>/index.mjs):');
  console.table(
    Object.fromEntries(
      sizes.map((size) => [size.function, { minified: kib(size.bytes), gzip: kib(size.gzipBytes) }]),
    ),
  );
  writeFileSync(join(DIST_DIR, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  if (process.argv.includes('--package')) await buildPackage(names);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
