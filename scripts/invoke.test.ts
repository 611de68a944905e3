import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs `npm run invoke -- ...args` as a user would (tsx, a fresh process). */
function invoke(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/invoke.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', ...env },
    timeout: 110_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run invoke', () => {
  it('answers --help with the usage and the variables --aws needs, exit 0', () => {
    const { code, stdout } = invoke(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('usage: npm run invoke');
    expect(stdout).toContain('STATE_TABLE');
  });

  it('exits 2 with the usage for an unknown function', () => {
    const { code, stderr } = invoke(['no-such-function', 'events/drain-instance']);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown function "no-such-function"');
  });

  it('names the file that is not JSON, and runs nothing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'invoke-')), 'broken.json');
    writeFileSync(file, '{ not json');
    const { code, stderr, stdout } = invoke(['detect-failed-start', file, '--dry-run']);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file} is not a JSON event`);
    expect(stdout).toBe('');
  });

  it('exits 1 when an event is rejected, still printing the rejection as JSON', () => {
    const { code, stdout } = invoke([
      'detect-failed-start',
      'events/detect-failed-start/malformed.json',
      '--dry-run',
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).result.status).toBe('rejected');
  });

  it('runs the simulated clock while a handler waits, so a sample drain finishes', {
    timeout: 120_000,
  }, () => {
    const { code, stdout } = invoke([
      'drain-instance',
      'events/drain-instance/terminate-lifecycle-action.json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).result.instances).toEqual([expect.objectContaining({ outcome: 'completed' })]);
  });

  it('treats --dry-run that npm kept for itself (no `--`) as a dry run', () => {
    const { code, stdout } = invoke(['detect-failed-start', 'events/detect-failed-start/image-pull.json'], {
      npm_config_dry_run: 'true',
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).result.dryRun).toBe(true);
  });
});
