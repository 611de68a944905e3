// The one command-line tool: every command answers --help, usage errors exit 2, and the package's bin
// (built as by `npm run build:package`) runs the operator's commands without the repository around it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCli } from './build';

const ROOT = resolve(import.meta.dirname, '..');
const ENV = { ...process.env, STATE_TABLE: '', POWERTOOLS_LOG_LEVEL: 'SILENT' };

function tool(args: string[], entry = ['--import', 'tsx', 'scripts/ecs-autopilot.ts']) {
  const result = spawnSync(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: ENV,
    timeout: 90_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ecs-autopilot', () => {
  it.each([
    [['invoke', '--help'], 'usage: npm run invoke'],
    [['plan', '--help'], 'usage: npm run plan'],
    [['demo', '--help'], 'usage: npm run demo'],
    [['status', '--help'], 'usage: npm run status'],
    [['jobs', '--help'], 'usage: npm run jobs'],
    [['why', '--help'], 'usage: ecs-autopilot why'],
    [['--help'], 'usage: ecs-autopilot <command>'],
  ])('%j answers its help on stdout, exit 0', (args, expected) => {
    const { code, stdout } = tool(args);
    expect(code).toBe(0);
    expect(stdout).toContain(expected);
  });

  it.each([[['frobnicate']], [[]], [['plan', '--bogus']]])(
    '%j is a usage error: exit 2, nothing on stdout',
    (args) => {
      const { code, stdout, stderr } = tool(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain('usage:');
    },
  );

  it('the npm scripts call it', () => {
    const { scripts, bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    for (const name of ['invoke', 'plan', 'demo', 'status', 'jobs', 'why'])
      expect(scripts[name]).toBe(`tsx scripts/ecs-autopilot.ts ${name}`);
    expect(bin['ecs-autopilot']).toBe('lib/cli/ecs-autopilot.js');
  });
});

describe("the package's bin, installed without the repository", () => {
  const installed = mkdtempSync(join(tmpdir(), 'ecs-autopilot-bin-'));
  const entry = join(installed, 'lib', 'cli', 'ecs-autopilot.js');
  const built = (async () => {
    await buildCli(join(installed, 'lib', 'cli'));
    writeFileSync(join(installed, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'));
  })();
  afterAll(() => rmSync(installed, { recursive: true, force: true }));

  it('runs the commands that need only the SDK; the local endpoint says it needs the repository', async () => {
    await built;
    const help = tool(['why', '--help'], [entry]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: ecs-autopilot why');
    const local = tool(['status'], [entry]);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('run from a clone of the repository');
    expect(local.stderr).toContain('--aws');
  });
});
