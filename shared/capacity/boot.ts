/**
 * The group's boot time as measured: from the launch (Auto Scaling's "Launching a new EC2 instance"
 * activity, its StartTime) to the container instance's registration with the cluster (registeredAt).
 * The planner's lead time for foreseen demand uses it (foresight.ts). Pure; the samples are kept in
 * the state table by functions/scale-capacity/boot.ts.
 */
import type { RegisteredInstance } from './snapshot';

/** What a scaling activity (DescribeScalingActivities) says about a launch. */
export interface LaunchActivity {
  Description?: string | undefined;
  StartTime?: Date | undefined;
  StatusCode?: string | undefined;
}

/** One launch measured: which instance, when it registered, how long it took. */
export interface BootSample {
  instanceId: string;
  registeredAt: string;
  seconds: number;
}

/** Samples kept: the recent launches (an AMI or user-data change shows within a few). */
export const BOOT_SAMPLES_KEPT = 15;

const LAUNCH = /^Launching a new EC2 instance/i;
const INSTANCE_ID = /\bi-[0-9a-f]{8,17}\b/;

/** Instances registered recently enough that their launch activity can still be read, not yet measured. */
export function unmeasured(
  instances: readonly Pick<RegisteredInstance, 'id' | 'registeredAt'>[],
  known: readonly BootSample[],
  since: number,
): string[] {
  const seen = new Set(known.map((sample) => sample.instanceId));
  return instances
    .filter((instance) => instance.registeredAt && Date.parse(instance.registeredAt) >= since)
    .filter((instance) => !seen.has(instance.id))
    .map((instance) => instance.id);
}

/**
 * New samples from the launch activities of the given instances; a launch that took longer than the
 * boot timeout (or ended before it began) is an outlier the planner must not plan on, and is left out.
 */
export function measureBoots(
  activities: readonly LaunchActivity[],
  instances: readonly Pick<RegisteredInstance, 'id' | 'registeredAt'>[],
  ids: readonly string[],
  bootTimeoutSeconds: number,
): BootSample[] {
  const launchedAt = new Map<string, number>();
  for (const activity of activities) {
    if (!LAUNCH.test(activity.Description ?? '') || !activity.StartTime) continue;
    // A launch into or out of a warm pool is not a cold boot: its registration follows the pool's
    // start, not this launch (warm boots are not measured here).
    if (/warm pool/i.test(activity.Description ?? '')) continue;
    if (activity.StatusCode === 'Failed' || activity.StatusCode === 'Cancelled') continue;
    const id = INSTANCE_ID.exec(activity.Description ?? '')?.[0];
    if (id) launchedAt.set(id, activity.StartTime.getTime());
  }
  const wanted = new Set(ids);
  const samples: BootSample[] = [];
  for (const instance of instances) {
    const launched = launchedAt.get(instance.id);
    if (!wanted.has(instance.id) || launched === undefined || !instance.registeredAt) continue;
    const seconds = (Date.parse(instance.registeredAt) - launched) / 1000;
    if (seconds > 0 && seconds <= bootTimeoutSeconds)
      samples.push({ instanceId: instance.id, registeredAt: instance.registeredAt, seconds });
  }
  return samples;
}

/** The kept samples with the new ones, newest BOOT_SAMPLES_KEPT. */
export function keepSamples(known: readonly BootSample[], added: readonly BootSample[]): BootSample[] {
  return [...known, ...added]
    .sort((a, b) => Date.parse(b.registeredAt) - Date.parse(a.registeredAt))
    .slice(0, BOOT_SAMPLES_KEPT);
}

/**
 * The boot the planner plans with: the median of the samples, rounded up to a second (a median
 * ignores the odd slow launch; the margin of foresight.ts covers the spread).
 */
export function bootOf(samples: readonly BootSample[]): { seconds: number; samples: number } | undefined {
  if (samples.length === 0) return undefined;
  const sorted = samples.map((sample) => sample.seconds).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { seconds: Math.ceil(median), samples: samples.length };
}
