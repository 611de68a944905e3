/**
 * Observe, boot time: each launch of the group measured once (launch activity → registration,
 * shared/capacity/boot.ts), the recent samples kept in the state table, and the median given to the
 * planner as `group.boot`. Scaling activities are read only when an instance registered since the
 * last measure, so a quiet group costs one Query per pass.
 *
 * | pk                        | sk                   | item                                        |
 * |---------------------------|----------------------|---------------------------------------------|
 * | `capacity#<cluster>#boot` | `<capacityProvider>` | `samples`: the recent launches measured      |
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describeScalingActivities } from '../../shared/aws/autoscaling';
import { dynamodb } from '../../shared/aws/dynamodb';
import { call } from '../../shared/aws/errors';
import { type BootSample, bootOf, keepSamples, measureBoots, unmeasured } from '../../shared/capacity/boot';
import type { CapacitySnapshot } from '../../shared/capacity/snapshot';

export const bootKey = (cluster: string) => `capacity#${cluster}#boot`;
/** Kept while the group launches now and then; a group idle for months measures again. */
const BOOT_MARKER_TTL_SECONDS = 90 * 86_400;

interface BootMarker {
  samples: BootSample[];
  /** Instances whose launch activity was not found: not looked for again. */
  tried: string[];
}

async function readMarker(table: string, cluster: string, capacityProvider: string): Promise<BootMarker> {
  const page = await call('dynamodb:Query', `${table}/${bootKey(cluster)}`, () =>
    dynamodb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': bootKey(cluster), ':sk': capacityProvider },
      }),
    ),
  );
  const item = page.Items?.[0];
  return {
    samples: Array.isArray(item?.samples) ? (item.samples as BootSample[]) : [],
    tried: Array.isArray(item?.tried) ? (item.tried as string[]) : [],
  };
}

/**
 * Measures the launches registered since the last pass and sets `snapshot.group.boot` (in place).
 * The boot time only sets how early foreseen demand is bought: on a failed read the pass goes on with
 * what it had (or the default), with a note.
 */
export async function observeBoot(
  snapshot: CapacitySnapshot,
  input: { table: string; groupName: string; now: number; dryRun: boolean },
): Promise<string[]> {
  const { cluster, capacityProvider, settings } = snapshot;
  let known: BootSample[] = [];
  try {
    const marker = await readMarker(input.table, cluster, capacityProvider);
    known = marker.samples;
    // Launch activities older than the boot timeout plus an hour are not read again.
    const since = input.now - (settings.bootTimeoutSeconds + 3600) * 1000;
    const ids = unmeasured(snapshot.instances, known, since).filter((id) => !marker.tried.includes(id));
    // A dry run measures nothing new: it applies nothing, bookkeeping included.
    if (ids.length > 0 && !input.dryRun) {
      const oldest = Math.min(
        ...snapshot.instances
          .filter((one) => ids.includes(one.id))
          .map((one) => Date.parse(one.registeredAt ?? '')),
      );
      const activities = await describeScalingActivities(
        input.groupName,
        oldest - settings.bootTimeoutSeconds * 1000,
      );
      const added = measureBoots(activities, snapshot.instances, ids, settings.bootTimeoutSeconds);
      const measured = new Set(added.map((sample) => sample.instanceId));
      const tried = [...ids.filter((id) => !measured.has(id)), ...marker.tried].slice(0, 50);
      known = keepSamples(known, added);
      await call('dynamodb:PutItem', `${input.table}/${bootKey(cluster)}`, () =>
        dynamodb.send(
          new PutCommand({
            TableName: input.table,
            Item: {
              pk: bootKey(cluster),
              sk: capacityProvider,
              samples: known,
              tried,
              ttl: Math.floor(input.now / 1000) + BOOT_MARKER_TTL_SECONDS,
            },
          }),
        ),
      );
    }
    return [];
  } catch (error) {
    return [`boot time not measured this pass: ${(error as Error).message}`];
  } finally {
    const boot = bootOf(known);
    if (boot) snapshot.group.boot = boot;
  }
}
