/**
 * Setups that undo what the drain does, found at run time (issue #24): our terminate hook answering
 * ABANDON when it lapses, and ECS managed draining running beside our hook on the group's capacity
 * provider.
 */

export interface ProviderLike {
  name?: string | undefined;
  autoScalingGroupProvider?: {
    autoScalingGroupArn?: string | undefined;
    managedDraining?: string | undefined;
  };
}

export interface SetupFindings {
  /** One sentence per problem, for a warning. */
  warnings: string[];
  /** Capacity providers of the group with managed draining ENABLED. */
  managedDraining: string[];
}

const groupOfArn = (arn: string | undefined) => /:autoScalingGroupName\/(.+)$/.exec(arn ?? '')?.[1];

export function checkSetup(input: {
  group: string;
  hook: string | undefined;
  /** Our hook's DefaultResult, when read. */
  defaultResult: string | undefined;
  providers: readonly ProviderLike[];
}): SetupFindings {
  const warnings: string[] = [];
  if (input.defaultResult === 'ABANDON') {
    // On a terminating instance both results let it terminate, but ABANDON stops any remaining actions,
    // such as other lifecycle hooks (Amazon EC2 Auto Scaling User Guide, "Complete a lifecycle action").
    warnings.push(
      `lifecycle hook ${input.hook} of group ${input.group} has DefaultResult ABANDON: if it ever lapses (function down longer than its heartbeat timeout), Auto Scaling terminates the instance at once and skips the group's other terminate hooks; use CONTINUE`,
    );
  }
  const managedDraining = input.providers
    .filter(
      (provider) =>
        groupOfArn(provider.autoScalingGroupProvider?.autoScalingGroupArn) === input.group &&
        provider.autoScalingGroupProvider?.managedDraining === 'ENABLED',
    )
    .flatMap((provider) => provider.name ?? []);
  if (managedDraining.length > 0) {
    warnings.push(
      `ECS managed draining is ENABLED on capacity provider ${managedDraining.join(', ')} of group ${input.group}, beside our hook: two drainers hold the instance (ECS's hook ecs-managed-draining-termination-hook may still drain after ours completes); turn managed draining off on the provider, or leave draining to it`,
    );
  }
  return { warnings, managedDraining };
}
