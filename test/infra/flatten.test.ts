import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { describe, expect, it } from 'vitest';
import { flattenReference } from '../../infra/flatten';
import { synthExample, templateOf } from './fixture';

/**
 * The construct names the resources of its cdk-nag acknowledgements itself (cdk-nag is not loaded at
 * run time): the names must be the ones cdk-nag writes in its findings, or an acknowledgement misses.
 */
describe('flattenReference', () => {
  it('writes every IAM resource of the synthesized template as cdk-nag does', () => {
    const { json } = templateOf(synthExample().stack);
    const resources = Object.values(json.Resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap((resource) => {
        const document = (resource.Properties as { PolicyDocument: { Statement: { Resource: unknown }[] } })
          .PolicyDocument;
        return document.Statement.flatMap((statement) =>
          Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource],
        );
      });
    expect(resources.length).toBeGreaterThan(20);
    for (const resource of resources) expect(flattenReference(resource)).toBe(flattenCfnReference(resource));
  });

  it('agrees on intrinsics and on what it does not know', () => {
    for (const value of [
      { 'Fn::Sub': `arn:${'${'}AWS::Partition}:ecs:*` },
      { 'Fn::ImportValue': 'Shared-Topic' },
      { 'Fn::Select': [0, ['a']] },
      'plain',
      undefined,
    ]) {
      expect(flattenReference(value)).toBe(flattenCfnReference(value));
    }
  });
});
