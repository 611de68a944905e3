// The small command-line layer shared by `npm run status` and `npm run jobs`: flags, exit codes, the
// local endpoint or real AWS, and where output goes.
import { parseArgs } from 'node:util';
import type { LocalAws } from '../../test/local-aws/index';

/** A usage error: exit code 2, with the usage line of the command it concerns when not the default. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export const COMMON_OPTIONS = {
  json: { type: 'boolean', default: false },
  aws: { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const COMMON_HELP = `  --json        one JSON document on stdout, for programs (default: tables for people)
  --aws         real AWS through the SDK's usual configuration (AWS_PROFILE or credentials, AWS_REGION,
                AWS_ENDPOINT_URL) instead of a fresh local endpoint seeded with the sample cluster;
                needs STATE_TABLE (the stack's state table name)
  -v, --verbose the functions' INFO logs on stderr (default: warnings and errors only)
  -h, --help    this text

Exit code: 0 ok, 1 a failure (a call failed, or the command could not do what was asked), 2 usage.`;

export function parse(args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, options: COMMON_OPTIONS });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Where the commands read and act: the state table, and the local endpoint when not --aws. */
export interface Target {
  table: string;
  local?: LocalAws;
}

/**
 * Runs `work` against real AWS (--aws) or the local endpoint: `local` when the caller already runs one
 * (the tests, its environment already set), otherwise a fresh one seeded with the sample cluster.
 */
export async function withTarget<T>(
  options: { aws: boolean; verbose: boolean; local?: LocalAws | undefined },
  io: Io,
  work: (target: Target) => Promise<T>,
): Promise<T> {
  process.env.POWERTOOLS_DEV ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= options.verbose ? 'INFO' : 'WARN';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (options.aws) {
    const table = process.env.STATE_TABLE;
    if (!table) throw new UsageError('--aws needs STATE_TABLE: the name of the stack state table');
    return work({ table });
  }
  if (options.local) return work({ table: requiredTable(), local: options.local });
  const { startLocalAws } = await import('../../test/local-aws/index');
  const { followWorldClock } = await import('../../test/local-aws/clock');
  const aws = await startLocalAws({ seed: 'sample' });
  const restoreDate = followWorldClock(aws);
  Object.assign(process.env, aws.env());
  io.err(
    `A fresh local AWS endpoint with the sample cluster at ${aws.endpoint}: no function has run on it yet, so its state table is empty (ecs-autopilot demo runs them and shows status and why at its end; --aws reads a real deployment)`,
  );
  try {
    return await work({ table: requiredTable(), local: aws });
  } finally {
    restoreDate();
    await aws.close();
  }
}

function requiredTable(): string {
  const table = process.env.STATE_TABLE;
  if (!table) throw new Error('STATE_TABLE is not set');
  return table;
}

/** Runs a command as a process: its exit code, usage errors with the usage line. */
export function runMain(usage: string, run: (args: string[], io: Io) => Promise<number>): void {
  // Logs go to stderr so stdout carries only the answer.
  for (const method of ['log', 'info', 'debug', 'warn'] as const) {
    console[method] = (...args: unknown[]) => console.error(...args);
  }
  run(process.argv.slice(2), processIo).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      if (error instanceof UsageError) console.error(error.usage ?? usage);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}

/** A plain text table: a header and aligned columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export const iso = (ms: number | undefined) =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');

/** `3h12m`, `4m05s`, `12s`. */
export function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
