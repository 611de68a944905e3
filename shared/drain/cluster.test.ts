import { describe, expect, it } from 'vitest';
import { CLUSTER_TAG, clusterFromMetadata, clusterName, resolveCluster } from './cluster';

describe('cluster resolution', () => {
  it('reads {"cluster": ...} from hook metadata and nothing else', () => {
    expect(clusterFromMetadata('{"cluster":"web"}')).toBe('web');
    expect(clusterFromMetadata(' {"cluster": " web ", "other": 1} ')).toBe('web');
    for (const metadata of [
      undefined,
      '',
      'web',
      '{"cluster":""}',
      '{"cluster":3}',
      '["web"]',
      'null',
      '{',
    ]) {
      expect(clusterFromMetadata(metadata)).toBeUndefined();
    }
  });

  it('prefers metadata, then the group tag, then the default', () => {
    const groupTags = [{ Key: CLUSTER_TAG, Value: 'tagged' }];
    expect(resolveCluster({ metadata: '{"cluster":"meta"}', groupTags, defaultCluster: 'dflt' })).toEqual({
      cluster: 'meta',
      source: 'hook-metadata',
    });
    expect(resolveCluster({ metadata: 'free text', groupTags, defaultCluster: 'dflt' })).toEqual({
      cluster: 'tagged',
      source: 'group-tag',
    });
    expect(resolveCluster({ groupTags: [{ Key: 'Name', Value: 'x' }], defaultCluster: 'dflt' })).toEqual({
      cluster: 'dflt',
      source: 'default',
    });
    expect(resolveCluster({})).toBeUndefined();
  });

  it('compares clusters by name whether given as name or ARN', () => {
    expect(clusterName('arn:aws:ecs:us-east-1:123456789012:cluster/web')).toBe('web');
    expect(clusterName('web')).toBe('web');
  });
});
