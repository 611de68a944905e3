/**
 * Which instance type a group with a mixed instances policy launches. Auto Scaling's On-Demand
 * `prioritized` strategy launches the overrides in order, the first with capacity ("Allocation
 * strategies for multiple instance types", Amazon EC2 Auto Scaling User Guide); capacity never runs out
 * here, so it is the first override. `lowest-price` launches the cheapest: the one with the least CPU,
 * then memory, stands for it (the model keeps no prices). Spot pools are not modelled.
 */
import { instanceTypeSpec } from './instance-types';
import type { AutoScalingGroupRecord, MixedInstancesRecord } from './types';

export function launchedType(group: AutoScalingGroupRecord): string {
  const policy = group.mixedInstances;
  if (!policy || policy.overrides.length === 0) return group.instanceType;
  if (policy.onDemandAllocationStrategy === 'prioritized') return policy.overrides[0] as string;
  return (
    [...policy.overrides].sort((a, b) => {
      const [sa, sb] = [instanceTypeSpec(a), instanceTypeSpec(b)];
      return sa.cpu - sb.cpu || sa.memory - sb.memory;
    })[0] ?? group.instanceType
  );
}

/** DescribeAutoScalingGroups' MixedInstancesPolicy for the group's policy. */
export function mixedInstancesPolicyView(
  policy: MixedInstancesRecord,
  launchTemplate: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string },
) {
  return {
    LaunchTemplate: {
      LaunchTemplateSpecification: launchTemplate,
      Overrides: policy.overrides.map((type) => ({ InstanceType: type })),
    },
    InstancesDistribution: {
      OnDemandAllocationStrategy: policy.onDemandAllocationStrategy,
      OnDemandBaseCapacity: policy.onDemandBaseCapacity,
      OnDemandPercentageAboveBaseCapacity: policy.onDemandPercentageAboveBaseCapacity,
      SpotAllocationStrategy: policy.spotAllocationStrategy,
    },
  };
}
