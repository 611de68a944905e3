import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * What the packaged construct loads at a consumer's synth: its peers (aws-cdk-lib, constructs), zod (it
 * validates jobs with run-scheduled-task's own schema) and Node built-ins. The functions are prebuilt
 * bundles, so the AWS SDK and Powertools are never loaded by the construct: they need not be runtime
 * dependencies of the package.
 */
async function packagesImported(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'packages-external',
        setup(builder) {
          builder.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
        },
      },
    ],
  });
  const packages = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (!imported.external) continue;
      const parts = imported.path.split('/');
      packages.add(parts.slice(0, imported.path.startsWith('@') ? 2 : 1).join('/'));
    }
  }
  return [...packages].sort();
}

describe('the packaged construct', () => {
  it('loads only its peers, zod and Node built-ins', async () => {
    const imported = await packagesImported('infra/index.ts');
    expect(imported.filter((name) => !name.startsWith('node:'))).toEqual([
      'aws-cdk-lib',
      'constructs',
      'zod',
    ]);
  });
});
