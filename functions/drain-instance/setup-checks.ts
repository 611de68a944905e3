import { describeLifecycleHooks } from '../../shared/aws/autoscaling';
import { describeCapacityProviders, describeClusters } from '../../shared/aws/ecs';
import { errorMessage } from '../../shared/aws/errors';
import { checkSetup, type SetupFindings } from '../../shared/drain/setup';
import { type DrainContext, type DrainTarget, instanceKeys } from './runtime';

/** Per container (it outlives the invocation): each group's setup, read and warned about once. */
const checks = new Map<string, Promise<SetupFindings>>();
const known = new Map<string, SetupFindings>();

/**
 * Reads our hook's DefaultResult and the group's capacity providers once per group and container, and
 * warns about a setup that works against the drain. Never blocks a drain: a failed read is logged
 * (debug) and not retried by this container.
 */
export function checkGroupSetup(target: DrainTarget, runtime: DrainContext): Promise<SetupFindings> {
  const key = `${target.cluster}/${target.group}/${target.hook ?? ''}`;
  let check = checks.get(key);
  if (!check) {
    // Read once per container, whatever the answer: a warning is advice, not worth a call per drain.
    check = read(target, runtime).catch((error) => {
      runtime.logger.debug('Drain setup not checked', {
        ...instanceKeys(target),
        error: errorMessage(error),
      });
      return { warnings: [], managedDraining: [] };
    });
    checks.set(key, check);
  }
  return check;
}

/** ECS managed draining found beside our hook on the target's group (empty when not, or not read yet). */
export function managedDrainingOn(target: Pick<DrainTarget, 'cluster' | 'group' | 'hook'>): string[] {
  return known.get(`${target.cluster}/${target.group}/${target.hook ?? ''}`)?.managedDraining ?? [];
}

async function read(target: DrainTarget, runtime: DrainContext): Promise<SetupFindings> {
  const [hooks, clusters] = await Promise.all([
    target.hook && target.hookDefaultResult === undefined
      ? describeLifecycleHooks(target.group)
      : Promise.resolve([{ LifecycleHookName: target.hook, DefaultResult: target.hookDefaultResult }]),
    describeClusters([target.cluster]),
  ]);
  const names = (clusters.items[0]?.capacityProviders ?? []).filter((name) => !name.startsWith('FARGATE'));
  const providers = names.length > 0 ? (await describeCapacityProviders(names)).items : [];
  const findings = checkSetup({
    group: target.group,
    hook: target.hook,
    defaultResult: hooks.find((hook) => hook.LifecycleHookName === target.hook)?.DefaultResult,
    providers,
  });
  for (const problem of findings.warnings) {
    runtime.logger.warn('Drain setup works against the drain', {
      autoScalingGroup: target.group,
      cluster: target.cluster,
      lifecycleHook: target.hook,
      problem,
    });
  }
  known.set(`${target.cluster}/${target.group}/${target.hook ?? ''}`, findings);
  return findings;
}
