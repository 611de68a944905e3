import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { getItem, putItem } from '../../shared/aws/dynamodb';
import { describeTaskDefinition } from '../../shared/aws/ecs';
import type { TaskDefinitionLike } from '../../shared/failed-start/alert';

/**
 * The parts of a task definition revision an alert uses (container names, images, essential, awslogs
 * settings), read once: a revision never changes (RegisterTaskDefinition makes a new one). A container
 * keeps what it read; a cold one reads the state table (`failure#taskdef#<arn>` / `definition`) before
 * ECS, so a crash loop served by many containers spends ECS's task-definition reads once per revision,
 * not once per container.
 */
const SK = 'definition';
const key = (arn: string) => ({ pk: `failure#taskdef#${arn}`, sk: SK });
/** Kept a week after its last write: a revision failing for longer is read again, once. */
const KEPT_SECONDS = 7 * 24 * 3600;
const AWSLOGS_OPTIONS = ['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix'];

const known = new Map<string, Promise<TaskDefinitionLike>>();

/** What the alert needs of a definition; nothing else is stored (no environment, no secrets). */
export function slimDefinition(definition: TaskDefinition | TaskDefinitionLike): TaskDefinitionLike {
  return {
    containerDefinitions: (definition.containerDefinitions ?? []).map((container) => {
      const log = container.logConfiguration;
      const options = Object.fromEntries(
        Object.entries(log?.options ?? {}).filter(([name]) => AWSLOGS_OPTIONS.includes(name)),
      );
      return {
        ...(container.name ? { name: container.name } : {}),
        ...(container.image ? { image: container.image } : {}),
        ...(container.essential !== undefined ? { essential: container.essential } : {}),
        ...(log?.logDriver ? { logConfiguration: { logDriver: log.logDriver, options } } : {}),
      };
    }),
  };
}

/**
 * The revision's definition: this container's copy, else the state table's, else ECS's (then stored,
 * unless `write` is false: a dry run writes nothing). A failed read is not kept: the next asks again.
 */
export function taskDefinitionFor(
  table: string,
  arn: string,
  options: { write: boolean; now: number; onStoreError?: (error: unknown) => void },
): Promise<TaskDefinitionLike> {
  const revision = /:\d+$/.test(arn);
  const cached = revision ? known.get(arn) : undefined;
  if (cached) return cached;
  const pending = (async () => {
    if (!revision) return slimDefinition(await describeTaskDefinition(arn));
    // Eventually consistent is enough: the item, once there, never changes.
    const stored = await getItem<TaskDefinitionLike>(table, key(arn), false).catch(() => undefined);
    if (stored?.containerDefinitions) return { containerDefinitions: stored.containerDefinitions };
    const definition = slimDefinition(await describeTaskDefinition(arn));
    if (options.write) {
      await putItem(table, {
        Item: {
          ...key(arn),
          containerDefinitions: definition.containerDefinitions,
          ttl: Math.ceil(options.now / 1000) + KEPT_SECONDS,
        },
      }).catch((error: unknown) => options.onStoreError?.(error));
    }
    return definition;
  })();
  if (revision) {
    known.set(arn, pending);
    pending.catch(() => known.delete(arn));
  }
  return pending;
}

/** For tests: a cold container (the state table's copies stay). */
export function forgetTaskDefinitions(): void {
  known.clear();
}
