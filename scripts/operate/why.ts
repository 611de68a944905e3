// ecs-autopilot why <instance-id>: every decision the functions recorded about one instance, with why.
import { pathToFileURL } from 'node:url';
import type { DecisionRecord } from '../../shared/state/decisions';
import type { LocalAws } from '../../test/local-aws/index';
import { COMMON_HELP, type Io, parse, runMain, table, UsageError, withTarget } from './cli';

export const usage = 'usage: ecs-autopilot why <instance-id> [--json] [--aws] [--verbose]';

export const help = `${usage}

Every decision the functions recorded about one EC2 instance, oldest first, with its reasons:
  drain-instance   drain-started, set-draining, tasks-stopped, hook-completed, deadline-expired,
                   hook-ended (the lifecycle action ended before the drain did), instance-lost
  scale-capacity   chosen-for-removal (idle, consolidation, never registered), removal-held,
                   protection-set, protection-released
Decisions are kept 14 days (DynamoDB TTL). A launch is recorded on the capacity provider, not on an
instance (its id is not known when the desired capacity is raised): see status.

${COMMON_HELP}`;

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export async function readDecisions(tableName: string, instanceId: string): Promise<DecisionRecord[]> {
  const { listDecisions } = await import('../../shared/state/decisions');
  return listDecisions(tableName, instanceId);
}

export function renderDecisions(instanceId: string, decisions: readonly DecisionRecord[]): string {
  if (decisions.length === 0)
    return `No decision recorded about ${instanceId} (in the last 14 days, or the functions never acted on it)`;
  const first = decisions[0];
  const where = [first?.cluster && `cluster ${first.cluster}`, first?.group && `group ${first.group}`]
    .filter(Boolean)
    .join(', ');
  return `Decisions about ${instanceId}${where ? ` (${where})` : ''}, oldest first:\n${table(
    ['TIME', 'FUNCTION', 'DECISION', 'WHY'],
    decisions.map((decision) => [
      decision.at.replace(/\.\d{3}Z$/, 'Z'),
      decision.function,
      decision.action,
      decision.reasons.join('; ') || '-',
    ]),
  )}`;
}

/** The command; `local` reuses an endpoint the caller runs (tests, the demo). */
export async function why(args: string[], io: Io, local?: LocalAws): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    io.out(help);
    return 0;
  }
  const [instanceId, ...rest] = positionals;
  if (!instanceId) throw new UsageError('why needs an instance id (i-...)');
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (!INSTANCE_ID.test(instanceId))
    throw new UsageError(`"${instanceId}" is not an EC2 instance id (i- and 8 or 17 hex digits)`);
  const decisions = await withTarget({ aws: values.aws, verbose: values.verbose, local }, io, ({ table }) =>
    readDecisions(table, instanceId),
  );
  io.out(
    values.json ? JSON.stringify({ instanceId, decisions }, null, 2) : renderDecisions(instanceId, decisions),
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(`${usage}\n(ecs-autopilot why --help for more)`, why);
}
