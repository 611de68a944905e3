import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import scheduler from '../../events/run-scheduled-task/scheduler-invocation.json';
import { type ActiveRun, buildRunTaskRequest, decideRun, replacedReason, stoppedByReplace } from './decide';
import { clientTokenFor } from './identity';
import { type Job, JobSchema } from './job';

const job = (fields: Partial<Job> = {}): Job => ({ ...JobSchema.parse(scheduler.job), ...fields });
const DUE = '2025-01-15T02:00:00Z';
const AT_DUE = Date.parse(DUE);
const previous: ActiveRun = {
  due: '2025-01-15T01:00:00Z',
  taskArns: ['arn:aws:ecs:us-east-1:123456789012:task/web/old'],
  pending: false,
};

const decide = (fields: Partial<Job>, activeRuns: ActiveRun[], now = AT_DUE + 5_000) =>
  decideRun({ job: job(fields), due: DUE, now, startingDeadlineSeconds: 900, activeRuns });

describe('decideRun', () => {
  it('runs when nothing else is active', () => {
    expect(decide({}, [])).toEqual({
      action: 'run',
      reason: 'no other run of the job is active',
      replace: [],
    });
  });

  it('Forbid skips while a run is active, naming it', () => {
    expect(decide({ concurrencyPolicy: 'Forbid' }, [previous])).toEqual({
      action: 'skip',
      cause: 'forbid',
      reason: 'concurrencyPolicy Forbid: the run due 2025-01-15T01:00:00Z (1 task) is still active',
      activeRuns: [previous],
    });
  });

  it('Forbid also waits for a run still trying to start', () => {
    const starting: ActiveRun = { due: '2025-01-15T01:55:00Z', taskArns: [], pending: true };
    expect(decide({ concurrencyPolicy: 'Forbid' }, [starting])).toMatchObject({
      action: 'skip',
      reason: 'concurrencyPolicy Forbid: the run due 2025-01-15T01:55:00Z (still starting) is still active',
    });
  });

  it('names a run that placed some of its tasks and is still starting the rest', () => {
    const partial: ActiveRun = { due: '2025-01-15T01:55:00Z', taskArns: ['arn:t1'], pending: true };
    expect(decide({ concurrencyPolicy: 'Replace' }, [partial])).toMatchObject({
      action: 'run',
      reason: 'concurrencyPolicy Replace: replaces due 2025-01-15T01:55:00Z (1 task, still starting)',
      replace: [partial],
    });
  });

  it('Replace runs and lists the runs to stop', () => {
    expect(decide({ concurrencyPolicy: 'Replace' }, [previous])).toMatchObject({
      action: 'run',
      replace: [previous],
    });
  });

  it('Allow runs alongside', () => {
    expect(decide({ concurrencyPolicy: 'Allow' }, [previous])).toMatchObject({ action: 'run', replace: [] });
  });

  it('a suspended job starts nothing', () => {
    expect(decide({ suspend: true }, [])).toMatchObject({ action: 'skip', cause: 'suspended' });
  });

  it('past the starting deadline the run is missed, whatever the policy', () => {
    expect(decide({ concurrencyPolicy: 'Allow' }, [], AT_DUE + 901_000)).toEqual({
      action: 'missed',
      reason: 'started 901 s after its due time, past startingDeadlineSeconds (900 s)',
    });
    expect(decide({}, [], AT_DUE + 900_000).action).toBe('run');
  });

  it('never starts a due time twice: tasks of this due time mean it already started', () => {
    const same: ActiveRun = { due: DUE, taskArns: ['arn:t1'], pending: false };
    expect(
      decide({ concurrencyPolicy: 'Replace', suspend: true }, [same, previous], AT_DUE + 10_000_000),
    ).toEqual({
      action: 'already-started',
      reason: `the run due ${DUE} already has tasks in ECS`,
      taskArns: ['arn:t1'],
    });
  });

  it('property: a run of this due time with tasks always wins; otherwise missed exactly past the deadline', () => {
    const policy = fc.constantFrom('Allow' as const, 'Forbid' as const, 'Replace' as const);
    const run = fc.record({
      due: fc.constantFrom(DUE, '2025-01-15T01:00:00Z', '2025-01-15T01:30:00Z'),
      taskArns: fc.array(fc.constantFrom('arn:a', 'arn:b'), { maxLength: 2 }),
      pending: fc.boolean(),
    });
    fc.assert(
      fc.property(
        policy,
        fc.boolean(),
        fc.array(run, { maxLength: 4 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (p, suspend, runs, late) => {
          const decision = decide({ concurrencyPolicy: p, suspend }, runs, AT_DUE + late);
          const started = runs.some((candidate) => candidate.due === DUE && candidate.taskArns.length > 0);
          if (started) expect(decision.action).toBe('already-started');
          else if (suspend) expect(decision.action).toBe('skip');
          else expect(decision.action === 'missed').toBe(late > 900_000);
        },
      ),
    );
  });
});

describe('buildRunTaskRequest', () => {
  it('maps the job to RunTask with our token, startedBy and tags', () => {
    expect(buildRunTaskRequest(job(), 'web', DUE, 1)).toEqual({
      cluster: 'web',
      taskDefinition: 'report:7',
      count: 1,
      clientToken: clientTokenFor('nightly-report', DUE, 1),
      startedBy: 'ecs-autopilot/nightly-report/20250115T020000Z',
      tags: [
        { key: 'team', value: 'analytics' },
        { key: 'ecs-autopilot:job', value: 'nightly-report' },
        { key: 'ecs-autopilot:due', value: DUE },
      ],
      capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1, base: 0 }],
      overrides: scheduler.job.overrides,
      propagateTags: 'TASK_DEFINITION',
    });
  });

  it('asks only for the tasks still missing, with the attempt in the token', () => {
    const request = buildRunTaskRequest(job({ count: 3 }), 'web', DUE, 2, 1);
    expect(request.count).toBe(1);
    expect(request.clientToken).toBe(clientTokenFor('nightly-report', DUE, 2));
  });

  it('says why a run was replaced', () => {
    expect(replacedReason('nightly-report', '2025-01-15T01:00:00Z', DUE)).toBe(
      'ecs-autopilot: run of job nightly-report due 2025-01-15T01:00:00Z replaced by the run due 2025-01-15T02:00:00Z (concurrencyPolicy Replace)',
    );
  });
});

describe('stoppedByReplace', () => {
  const due = '2025-01-15T03:00:00Z';
  it('is true only for a user stop with the replace reason of this run', () => {
    const reason = replacedReason('nightly', due, '2025-01-16T03:00:00Z');
    expect(stoppedByReplace({ stopCode: 'UserInitiated', stoppedReason: reason }, 'nightly', due)).toBe(true);
    expect(
      stoppedByReplace({ stopCode: 'EssentialContainerExited', stoppedReason: 'exited' }, 'nightly', due),
    ).toBe(false);
    expect(
      stoppedByReplace(
        { stopCode: 'UserInitiated', stoppedReason: reason },
        'nightly',
        '2025-01-14T03:00:00Z',
      ),
    ).toBe(false);
    expect(stoppedByReplace({ stopCode: 'UserInitiated', stoppedReason: 'by hand' }, 'nightly', due)).toBe(
      false,
    );
  });
});

describe('a backlog', () => {
  const newer = '2025-01-15T02:05:00Z';
  const decideWithNewer = (policy: Job['concurrencyPolicy'], now: number) =>
    decideRun({
      job: job({ concurrencyPolicy: policy }),
      due: DUE,
      now,
      startingDeadlineSeconds: 900,
      activeRuns: [],
      newerDue: newer,
    });

  it('Allow and Replace run only the most recent due time; past the deadline it is a missed one', () => {
    expect(decideWithNewer('Allow', AT_DUE + 60_000)).toMatchObject({
      action: 'skip',
      cause: 'superseded',
      missed: false,
    });
    expect(decideWithNewer('Replace', AT_DUE + 1_000_000)).toMatchObject({ action: 'skip', missed: true });
  });

  it('Forbid keeps its order (the newer due time waits for the older run)', () => {
    expect(decideWithNewer('Forbid', AT_DUE + 60_000)).toMatchObject({ action: 'run' });
  });
});
