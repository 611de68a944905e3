/**
 * The esbuild settings of every function bundle, in one place: scripts/build.ts (npm run build, the
 * package's prebuilt assets, the tests) and the construct's own bundling inside this repository use
 * them. SAM's esbuild metadata in template.yaml repeats them (test/infra/sam-drift.test.ts checks).
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node' as const,
  target: 'node22',
  format: 'esm' as const,
  // Prefer packages' ESM builds: they tree-shake, so the bundle carries only what is used.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none' as const,
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning' as const,
};

/** The handler file each bundle is written to, `index.mjs`, exporting `handler`. */
export const BUNDLE_FILE = 'index.mjs';
