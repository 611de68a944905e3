// ecs-autopilot <command> ...: the one command-line tool (the package's bin; the npm scripts call it).
// invoke, plan and demo are the scripts beside this one, run as they always were; status, jobs and why
// are the operator's commands of scripts/operate/.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Io, processIo, runMain, UsageError } from './operate/cli';

export const usage = 'usage: ecs-autopilot <command> [arguments] [--help]';

export const help = `${usage}

Commands:
  invoke <function> <event.json|folder>...   a function's real handler with events (--dry-run: its plan)
  plan <snapshot.json> | --from-aws ...      scale-capacity's planner as a what-if tool
  demo                                       every function's scenario on a local endpoint, then status
                                             and why
  status                                     drains in progress, jobs, failed-start problems, each capacity
                                             provider's last change and why
  jobs <history|run|...> <job>               a job's recent runs, a run now, ... (jobs --help)
  why <instance-id>                          every decision the functions recorded about an instance

ecs-autopilot <command> --help for each. By default every command works on a local endpoint seeded with
the sample cluster (offline, no credentials); --aws uses real AWS through the SDK's usual configuration,
with the variables each command's help names. In the repository, npm run <command> -- ... is the same.

Exit code: 0 ok, 1 a failure (a rejected event, a failed call, a failed scenario), 2 usage.`;

type Command = (args: string[], io: Io) => Promise<number>;

/** Scripts that parse process.argv, print and end the process themselves when loaded. */
const SCRIPTS: Record<string, () => Promise<unknown>> = {
  invoke: () => import('./invoke'),
  plan: () => import('./plan'),
  demo: () => import('./demo'),
};

/** The operator's commands: arguments in, exit code out. jobs dispatches its own subcommands. */
export const COMMANDS: Record<string, Command> = {
  status: async (args, io) => {
    const { status, usage } = await import('./operate/status');
    return withUsage('status', usage, () => status(args, io));
  },
  jobs: async (args, io) => {
    const { jobs, usage } = await import('./operate/jobs');
    return withUsage('jobs', usage, () => jobs(args, io));
  },
  why: async (args, io) => {
    const { why, usage } = await import('./operate/why');
    return withUsage('why', usage, () => why(args, io));
  },
};

/** A usage error names the command's own usage. */
async function withUsage(name: string, usage: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UsageError && !error.usage)
      throw new UsageError(error.message, `${usage}\n(ecs-autopilot ${name} --help for more)`);
    throw error;
  }
}

const NAMES = [...Object.keys(SCRIPTS), ...Object.keys(COMMANDS)];

const isMissingModule = (error: unknown) =>
  error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND';

function explainMissing(name: string, error: unknown): unknown {
  if (!isMissingModule(error)) return error;
  return new Error(
    `ecs-autopilot ${name}: ${error instanceof Error ? error.message : error}\nThe local endpoint, invoke and demo run from a clone of the repository (npm ci); the installed package runs status, jobs and why with --aws, and plan with a snapshot file or --from-aws.`,
  );
}

/** An operator's command, or the tool's own help; its exit code. */
export async function main(args: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name !== undefined) {
      io.out(help);
      return 0;
    }
    io.err(help);
    return 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`Unknown command "${name}". Commands: ${NAMES.join(', ')}`);
  try {
    return await command(rest, io);
  } catch (error) {
    throw explainMissing(name, error);
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    // Installed, the bin is a symlink in node_modules/.bin.
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const [name, ...rest] = process.argv.slice(2);
  const load = name === undefined ? undefined : SCRIPTS[name];
  if (load) {
    // The script reads its arguments from process.argv, as when run directly.
    process.argv = [process.argv[0] ?? 'node', name ?? '', ...rest];
    load().catch((error: unknown) => {
      const explained = explainMissing(name ?? '', error);
      console.error(explained instanceof Error ? explained.message : explained);
      process.exit(1);
    });
  } else {
    runMain(`${usage}\n(ecs-autopilot --help for more)`, (args, io) => main(args, io));
  }
}
