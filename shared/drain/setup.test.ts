import { describe, expect, it } from 'vitest';
import { checkSetup } from './setup';

const provider = (name: string, group: string, managedDraining: string) => ({
  name,
  autoScalingGroupProvider: {
    autoScalingGroupArn: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1234:autoScalingGroupName/${group}`,
    managedDraining,
  },
});

describe('checkSetup', () => {
  it('warns when our hook lapses with ABANDON, and not with CONTINUE', () => {
    const input = { group: 'web-asg', hook: 'ecs-autopilot-drain', providers: [] };
    expect(checkSetup({ ...input, defaultResult: 'ABANDON' }).warnings).toEqual([
      expect.stringMatching(/DefaultResult ABANDON.*skips the group's other terminate hooks/),
    ]);
    expect(checkSetup({ ...input, defaultResult: 'CONTINUE' }).warnings).toEqual([]);
  });

  it("finds managed draining enabled on the group's own capacity provider only", () => {
    const found = checkSetup({
      group: 'web-asg',
      hook: 'ecs-autopilot-drain',
      defaultResult: 'CONTINUE',
      providers: [
        provider('web-asg-cp', 'web-asg', 'ENABLED'),
        provider('batch-cp', 'batch-asg', 'ENABLED'),
        provider('old-cp', 'web-asg', 'DISABLED'),
      ],
    });
    expect(found.managedDraining).toEqual(['web-asg-cp']);
    expect(found.warnings).toEqual([
      expect.stringMatching(/managed draining is ENABLED on capacity provider web-asg-cp/),
    ]);
  });
});
