import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import scheduler from '../../events/run-scheduled-task/scheduler-invocation.json';
import { familyOf } from './job';
import {
  effectiveLaunchType,
  essentialContainers,
  type JobTaskDefinition,
  parseJob,
  validateJob,
} from './validate';

const sampleJob = scheduler.job;
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:123456789012:cluster/web';

/** report:7 of the sample universe. */
const report7: JobTaskDefinition = {
  family: 'report',
  revision: 7,
  status: 'ACTIVE',
  cpu: '256',
  memory: '512',
  networkMode: 'bridge',
  compatibilities: ['EC2'],
  containerDefinitions: [{ name: 'report', essential: true }],
};

/** A Fargate-compatible awsvpc definition. */
const fargateDef: JobTaskDefinition = {
  family: 'etl',
  revision: 2,
  status: 'ACTIVE',
  cpu: '1024',
  memory: '2048',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  compatibilities: ['EC2', 'FARGATE'],
  containerDefinitions: [{ name: 'etl' }, { name: 'sidecar', essential: false }],
};

function problemsOf(job: unknown, taskDefinition: JobTaskDefinition | undefined = report7) {
  const parsed = parseJob(job);
  if (!parsed.ok) return parsed.problems;
  return validateJob(parsed.job, taskDefinition);
}

const messages = (job: unknown, taskDefinition?: JobTaskDefinition) =>
  problemsOf(job, taskDefinition).map((problem) => `${problem.path}: ${problem.message}`);

describe('parseJob', () => {
  it('accepts the sample job and applies defaults', () => {
    const parsed = parseJob({ name: 'nightly-report', taskDefinition: 'report:7' });
    expect(parsed).toEqual({
      ok: true,
      job: {
        name: 'nightly-report',
        taskDefinition: 'report:7',
        count: 1,
        concurrencyPolicy: 'Forbid',
        alertAfterSkips: 3,
        suspend: false,
      },
    });
    expect(problemsOf(sampleJob)).toEqual([]);
  });

  it('rejects unknown fields, naming them, so a typo never falls back to a default', () => {
    expect(messages({ ...sampleJob, concurencyPolicy: 'Replace' })).toEqual([
      ': unknown field "concurencyPolicy" (check the spelling; see the job schema in the README)',
    ]);
  });

  it('reports the shape problems and the ECS rule problems together', () => {
    expect(messages({ ...sampleJob, count: 12, launchType: 'EC2' })).toEqual([
      'count: count must be at most 10',
      'launchType: set either launchType or capacityProviderStrategy, not both (RunTask rejects the pair); omit both to use the cluster default strategy',
    ]);
  });

  it('names a missing required field', () => {
    expect(messages({ name: 'x' })).toEqual(['taskDefinition: taskDefinition is required']);
  });

  it.each([0, 11, 2.5])('rejects count %s (RunTask takes 1-10)', (count) => {
    expect(messages({ ...sampleJob, count }).join()).toMatch(/^count: count must be/);
  });

  it('rejects names that could not travel in startedBy', () => {
    for (const name of ['nightly.report', 'a/b', '-x', 'x'.repeat(65), '']) {
      expect(messages({ ...sampleJob, name })[0]).toMatch(/^name: name must be 1-64 letters/);
    }
  });

  it('accepts task definition and cluster references in every form ECS does, and nothing else', () => {
    for (const taskDefinition of [
      'report',
      'report:7',
      'arn:aws:ecs:us-east-1:123456789012:task-definition/report:7',
    ]) {
      expect(parseJob({ name: 'x', taskDefinition }).ok).toBe(true);
    }
    expect(parseJob({ name: 'x', taskDefinition: 'report', cluster: CLUSTER_ARN }).ok).toBe(true);
    expect(messages({ ...sampleJob, taskDefinition: 'report:latest' })[0]).toMatch(
      /^taskDefinition: taskDefinition must be a family/,
    );
    expect(messages({ ...sampleJob, taskDefinition: 'rep\u{d3d1a}ort' })[0]).toMatch(/^taskDefinition: /);
    expect(messages({ ...sampleJob, cluster: 'web cluster' })[0]).toMatch(
      /^cluster: cluster must be a cluster name/,
    );
  });

  it('rejects more than 20 capacity providers, 10 constraints, 5 strategies', () => {
    const providers = Array.from({ length: 21 }, (_, index) => ({
      capacityProvider: `cp-${index}`,
      weight: 1,
    }));
    expect(messages({ ...sampleJob, capacityProviderStrategy: providers })[0]).toMatch(/more than 20 items/);
    const constraints = Array.from({ length: 11 }, () => ({ type: 'distinctInstance' }));
    expect(messages({ ...sampleJob, placementConstraints: constraints })[0]).toMatch(
      /more than 10 placementConstraints/,
    );
    const strategies = Array.from({ length: 6 }, () => ({ type: 'random' }));
    expect(messages({ ...sampleJob, placementStrategy: strategies })[0]).toMatch(
      /more than 5 placementStrategy/,
    );
  });

  it('caps startingDeadlineSeconds inside the 24 h clientToken memory', () => {
    expect(messages({ ...sampleJob, startingDeadlineSeconds: 86_400 })[0]).toMatch(/at most 82800/);
  });

  it('bounds expectEverySeconds between a minute and a month (a monthly schedule)', () => {
    expect(messages({ ...sampleJob, expectEverySeconds: 30 })[0]).toMatch(
      /expectEverySeconds must be at least 60/,
    );
    expect(messages({ ...sampleJob, expectEverySeconds: 32 * 86_400 })[0]).toMatch(/at most 2678400/);
    expect(messages({ ...sampleJob, expectEverySeconds: 86_400 })).toEqual([]);
  });
});

describe('validateJob: ECS rules', () => {
  it('refuses launchType together with a capacity provider strategy', () => {
    expect(messages({ ...sampleJob, launchType: 'EC2' })).toEqual([
      'launchType: set either launchType or capacityProviderStrategy, not both (RunTask rejects the pair); omit both to use the cluster default strategy',
    ]);
  });

  it('refuses propagateTags SERVICE for RunTask', () => {
    expect(messages({ ...sampleJob, propagateTags: 'SERVICE' })).toEqual([
      'propagateTags: propagateTags SERVICE is only valid for services; RunTask accepts TASK_DEFINITION or NONE',
    ]);
  });

  it('counts our two tags against the 50 RunTask accepts', () => {
    const tags = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ key: `k${index}`, value: 'v' }));
    expect(messages({ ...sampleJob, tags: tags(48) })).toEqual([]);
    expect(messages({ ...sampleJob, tags: tags(49) })).toEqual([
      'tags: 49 tags plus the 2 ecs-autopilot adds is more than the 50 RunTask accepts; remove 1',
    ]);
  });

  it('keeps the ecs-autopilot: and aws: tag prefixes', () => {
    expect(messages({ ...sampleJob, tags: [{ key: 'ecs-autopilot:job', value: 'x' }] })[0]).toMatch(
      /^tags\[0\]\.key: tag keys starting with "ecs-autopilot:" are set by ecs-autopilot itself/,
    );
    expect(messages({ ...sampleJob, tags: [{ key: 'aws:cloudformation', value: 'x' }] })[0]).toMatch(
      /reserved by AWS/,
    );
  });

  it('limits overrides to 8 KiB of JSON', () => {
    const environment = [{ name: 'BLOB', value: 'x'.repeat(8200) }];
    const job = { ...sampleJob, overrides: { containerOverrides: [{ name: 'report', environment }] } };
    expect(messages(job)[0]).toMatch(/^overrides: overrides are \d+ bytes as JSON, more than the 8192/);
  });

  it('checks memberOf expressions with the cluster query language', () => {
    const job = (expression: string) => ({
      ...sampleJob,
      placementConstraints: [{ type: 'memberOf', expression }],
    });
    expect(messages(job('attribute:ecs.instance-type =~ m5.*'))).toEqual([]);
    expect(messages(job('attribute:ecs.instance-type foo m5'))[0]).toMatch(
      /^placementConstraints\[0\]\.expression: invalid cluster query: at \d+/,
    );
  });

  it('finds problems in a Fargate job: task size (with the valid sizes), network, placement', () => {
    const job = {
      name: 'etl',
      taskDefinition: 'etl:2',
      launchType: 'FARGATE',
      overrides: { memory: '16 GB' },
      placementConstraints: [{ type: 'distinctInstance' }],
    };
    const found = messages(job, fargateDef);
    expect(found).toContain(
      'placementConstraints: Fargate tasks take no placement constraints or strategy; remove them',
    );
    expect(found).toContain(
      'networkConfiguration: task definition etl:2 uses awsvpc networking: set networkConfiguration.awsvpcConfiguration with subnets (and security groups)',
    );
    const size = found.find((line) => line.startsWith('overrides.memory'));
    expect(size).toMatch(
      /Fargate accepts 2048–8192 MiB \(2–8 GB\) with 1024 CPU units \(1 vCPU\); 16384 MiB is too much/,
    );
    expect(size).toMatch(/Valid: 2 GB, 3 GB, 4 GB, 5 GB, 6 GB, 7 GB, 8 GB/);
  });

  it('accepts a valid Fargate job', () => {
    const job = {
      name: 'etl',
      taskDefinition: 'etl:2',
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        { capacityProvider: 'FARGATE', base: 1 },
      ],
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], assignPublicIp: 'DISABLED' },
      },
      overrides: { cpu: '2 vCPU', memory: '8 GB' },
    };
    expect(messages(job, fargateDef)).toEqual([]);
  });

  it('refuses capacity provider strategies ECS would refuse', () => {
    const mixed = [
      { capacityProvider: 'FARGATE', weight: 1 },
      { capacityProvider: 'web-asg-cp', weight: 1 },
    ];
    expect(messages({ ...sampleJob, capacityProviderStrategy: mixed }).join()).toMatch(/can't be mixed/);
    const twoBases = [
      { capacityProvider: 'a', base: 1 },
      { capacityProvider: 'b', base: 2 },
    ];
    expect(messages({ ...sampleJob, capacityProviderStrategy: twoBases }).join()).toMatch(
      /only one capacity provider/,
    );
    const repeated = [{ capacityProvider: 'a' }, { capacityProvider: 'a' }];
    expect(messages({ ...sampleJob, capacityProviderStrategy: repeated }).join()).toMatch(/listed twice/);
  });

  it('names the containers when an override targets one the task definition lacks', () => {
    const job = { ...sampleJob, overrides: { containerOverrides: [{ name: 'reporter', command: ['x'] }] } };
    expect(messages(job)).toEqual([
      'overrides.containerOverrides[0].name: task definition report:7 has no container "reporter"; its containers are "report"',
    ]);
  });

  it('refuses an INACTIVE revision and a launch type the definition is not compatible with', () => {
    expect(messages(sampleJob, { ...report7, status: 'INACTIVE' })).toEqual([
      'taskDefinition: task definition report:7 is INACTIVE; point the job at an ACTIVE revision',
    ]);
    const { capacityProviderStrategy: _, ...ec2 } = sampleJob;
    expect(messages({ ...ec2, launchType: 'FARGATE' }, report7).join('\n')).toMatch(
      /is compatible with EC2, not FARGATE/,
    );
  });

  it('refuses networkConfiguration for bridge networking', () => {
    const job = { ...sampleJob, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } };
    expect(messages(job)).toEqual([
      'networkConfiguration: task definition report:7 uses bridge networking, which takes no networkConfiguration; remove it',
    ]);
  });

  it('property: any count 1-10 with at most 48 plain tags is valid; any other count is refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 20 }),
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { maxLength: 48 }),
        (count, keys) => {
          const problems = problemsOf({
            ...sampleJob,
            count,
            tags: keys.map((key) => ({ key, value: 'v' })),
          });
          if (count >= 1 && count <= 10) expect(problems).toEqual([]);
          else expect(problems.map((problem) => problem.path)).toEqual(['count']);
        },
      ),
    );
  });
});

describe('helpers', () => {
  it('resolves the launch type from the job when it can', () => {
    expect(effectiveLaunchType({ launchType: 'EC2' })).toBe('EC2');
    expect(effectiveLaunchType({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] })).toBe(
      'FARGATE',
    );
    expect(effectiveLaunchType({ capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp' }] })).toBe(
      'EC2',
    );
    expect(effectiveLaunchType({})).toBeUndefined();
  });

  it('lists essential containers (essential unless it says false)', () => {
    expect(essentialContainers(fargateDef)).toEqual(['etl']);
  });

  it('takes the family from any task definition reference', () => {
    expect(familyOf('report')).toBe('report');
    expect(familyOf('report:7')).toBe('report');
    expect(familyOf('arn:aws:ecs:us-east-1:123456789012:task-definition/report:7')).toBe('report');
  });
});

describe('size limits in a job', () => {
  const base = { name: 'nightly-report', taskDefinition: 'report:7' };
  const withContainer = (name: string) => ({ ...base, overrides: { containerOverrides: [{ name }] } });

  it('a container override name: 255 characters parse, more are refused by path', () => {
    expect(parseJob(withContainer('c'.repeat(255))).ok).toBe(true);
    expect(problemsOf(withContainer('c'.repeat(256))).map((problem) => problem.path)).toEqual([
      'overrides.containerOverrides[0].name',
    ]);
  });

  it('quotes at most 64 characters of an unknown field name', () => {
    const [problem] = problemsOf({ ...base, ['k'.repeat(100_000)]: 1 });
    expect(problem?.message).toContain(`"${'k'.repeat(64)}…[cut, 99936 more characters]"`);
    expect(problem?.message.length).toBeLessThan(300);
  });
});
