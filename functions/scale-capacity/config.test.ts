import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/runtime/errors';
import { loadScaleCapacityConfig, parseHeadroom, parseMaxScaleIn } from './config';

const base = {
  CAPACITY_PROVIDERS: 'web/web-asg-cp, batch-cp',
  DEFAULT_CLUSTER: 'jobs',
  STATE_TABLE: 'ecs-autopilot-state',
};

describe('loadScaleCapacityConfig', () => {
  it('reads providers and defaults', () => {
    const config = loadScaleCapacityConfig(base);
    expect(config.providers).toEqual([
      { cluster: 'web', capacityProvider: 'web-asg-cp' },
      { cluster: 'jobs', capacityProvider: 'batch-cp' },
    ]);
    expect(config.settings).toEqual({
      scaleInAfterSeconds: 300,
      maxStep: 50,
      maxScaleIn: { percent: 10 },
      headroom: { tasks: 0 },
      consolidation: false,
      bootTimeoutSeconds: 600,
    });
    expect(config.dryRun).toBe(false);
  });

  it('reads every setting', () => {
    const config = loadScaleCapacityConfig({
      ...base,
      SCALE_IN_AFTER_SECONDS: '600',
      MAX_STEP: '5',
      MAX_SCALE_IN: '3',
      HEADROOM: '2x512/1024',
      CONSOLIDATION: 'true',
      BOOT_TIMEOUT_SECONDS: '300',
      INSTANCE_TYPES: '{"m7g.large":{"cpu":2048,"memoryMiB":7680,"enis":2}}',
      DRY_RUN: 'true',
    });
    expect(config.settings).toMatchObject({
      scaleInAfterSeconds: 600,
      maxStep: 5,
      maxScaleIn: { count: 3 },
      consolidation: true,
      bootTimeoutSeconds: 300,
    });
    expect(config.settings.headroom).toEqual({
      tasks: 2,
      shape: { cpu: 512, memoryMiB: 1024, gpus: 0, hostPorts: { tcp: [], udp: [] }, enis: 0 },
    });
    expect(config.instanceTypes).toEqual({ 'm7g.large': { cpu: 2048, memoryMiB: 7680, gpus: 0, enis: 2 } });
    expect(config.dryRun).toBe(true);
  });

  it('names the bad variable and what it expects', () => {
    expect(() => loadScaleCapacityConfig({ ...base, CAPACITY_PROVIDERS: '' })).toThrow(
      /CAPACITY_PROVIDERS: expected at least one/,
    );
    expect(() =>
      loadScaleCapacityConfig({ ...base, DEFAULT_CLUSTER: '', CAPACITY_PROVIDERS: 'web-asg-cp' }),
    ).toThrow(
      /CAPACITY_PROVIDERS: expected cluster\/provider names.*or DEFAULT_CLUSTER for a bare provider \(got "web-asg-cp"\)/,
    );
    expect(() => loadScaleCapacityConfig({ ...base, MAX_STEP: '0' })).toThrow(
      /MAX_STEP: expected a whole number from 1 to 10000 \(got "0"\)/,
    );
    expect(() => loadScaleCapacityConfig({ ...base, STATE_TABLE: undefined })).toThrow(/STATE_TABLE/);
    expect(() => loadScaleCapacityConfig({ ...base, INSTANCE_TYPES: '{"m5.large":{"cpu":0}}' })).toThrow(
      /INSTANCE_TYPES/,
    );
    expect(() => parseMaxScaleIn('150%')).toThrow(ConfigError);
    expect(() => parseMaxScaleIn('lots')).toThrow(
      /MAX_SCALE_IN: expected a count such as 3 or a percentage such as 10%/,
    );
    expect(() => parseHeadroom('2 tasks')).toThrow(
      /HEADROOM: expected a number of tasks such as 2, or tasks of a size such as 2x512\/1024/,
    );
  });
});
