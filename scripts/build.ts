// Bundles each function (functions/<name>/index.ts) into dist/<name>/index.mjs: ESM, minified, source map.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const FUNCTIONS_DIR = 'functions';
export const DIST_DIR = 'dist';

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
    entryPoints: [join(FUNCTIONS_DIR, name, 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Prefer packages' ESM builds: they tree-shake, so the bundle carries only what is used.
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    legalComments: 'none',
    // Some CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: 'warning',
  });
  writeFileSync(join(DIST_DIR, name, 'meta.json'), JSON.stringify(result.metafile));
  const bytes = statSync(outfile).size;
  return { function: name, bytes, gzipBytes: gzipSync(readFileSync(outfile)).length };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

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
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
