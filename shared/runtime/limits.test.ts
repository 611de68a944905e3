import { describe, expect, it } from 'vitest';
import { cut, ECS_PATTERNS, TEXT_MAX } from './limits';

describe('cut', () => {
  it('leaves text up to the limit alone and marks what it cut', () => {
    expect(cut('x'.repeat(TEXT_MAX))).toBe('x'.repeat(TEXT_MAX));
    expect(cut('x'.repeat(TEXT_MAX + 5))).toBe(`${'x'.repeat(TEXT_MAX)}…[cut, 5 more characters]`);
    expect(cut('abcdef', 3)).toBe('abc…[cut, 3 more characters]');
  });

  it('never leaves half a surrogate pair', () => {
    const cutText = cut('ab😀cd', 3);
    expect(cutText).toBe('ab…[cut, 4 more characters]');
    expect(cutText.isWellFormed()).toBe(true);
  });
});

describe('ECS_PATTERNS', () => {
  it('reads the sample universe ARNs, in any partition', () => {
    expect(ECS_PATTERNS.clusterArn.test('arn:aws:ecs:us-east-1:123456789012:cluster/web')).toBe(true);
    expect(ECS_PATTERNS.clusterArn.test('arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/web')).toBe(
      true,
    );
    expect(
      ECS_PATTERNS.taskArn.test(
        'arn:aws:ecs:us-east-1:123456789012:task/web/4f1c2d3e5a6b47c8a9d0e1f2a3b4c5d6',
      ),
    ).toBe(true);
    // The older form: no cluster, a UUID.
    expect(
      ECS_PATTERNS.taskArn.test(
        'arn:aws:ecs:us-east-1:123456789012:task/4f1c2d3e-5a6b-47c8-a9d0-e1f2a3b4c5d6',
      ),
    ).toBe(true);
    expect(
      ECS_PATTERNS.taskDefinitionArn.test('arn:aws:ecs:us-east-1:123456789012:task-definition/api:3'),
    ).toBe(true);
  });
});
