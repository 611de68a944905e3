import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_FIXTURES, type MessageFixture } from '../../test/corpus/failed-start/fixtures';
import {
  type ContainerSignal,
  classify,
  ECS_REASON_MAX,
  registryOf,
  render,
  type StopSignals,
} from './classify';
import { CATEGORIES, TAXONOMY, UNKNOWN_ENTRY } from './taxonomy';

function signalsOf(fixture: MessageFixture): StopSignals {
  const container: ContainerSignal = { name: 'app' };
  if (fixture.containerReason !== undefined) container.reason = fixture.containerReason;
  if (fixture.exitCode !== undefined) container.exitCode = fixture.exitCode;
  return {
    ...(fixture.stoppedReason !== undefined ? { stoppedReason: fixture.stoppedReason } : {}),
    ...(fixture.stopCode !== undefined ? { stopCode: fixture.stopCode } : {}),
    containers: [container],
  };
}

const label = (fixture: MessageFixture) =>
  `${fixture.expected.entry}: ${(fixture.containerReason ?? fixture.stoppedReason ?? '').slice(0, 90)}`;

/** Families with no public message found; covered by constructed cases so every entry is tested. */
const CONSTRUCTED: readonly { entry: string; signals: StopSignals }[] = [
  {
    entry: 'registry-auth-fetch-denied',
    signals: {
      stoppedReason:
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/abc is not authorized',
    },
  },
  {
    entry: 'entrypoint-not-executable',
    signals: {
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'api', exitCode: 127 }],
    },
  },
  { entry: 'spot-stop-code', signals: { stopCode: 'SpotInterruption' } },
  {
    // containerd's wording for a tag missing from ECR (Fargate, newer EC2 agents).
    entry: 'image-not-found',
    signals: {
      stoppedReason:
        'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.3: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.3: not found',
    },
  },
  {
    entry: 'user-stop-code',
    signals: { stopCode: 'UserInitiated', stoppedReason: 'Deploy rollback by Jenkins' },
  },
];

describe('classify: real messages', () => {
  it.each(MESSAGE_FIXTURES.map((fixture) => [label(fixture), fixture] as const))('%s', (_, fixture) => {
    const result = classify(signalsOf(fixture));
    expect(result.category).toBe(fixture.expected.category);
    expect(result.entryId).toBe(fixture.expected.entry);
    expect(result.facts).toMatchObject(fixture.expected.facts ?? {});
    for (const text of [result.summary, result.cause, result.remedy]) {
      expect(text).not.toMatch(/[{}]|\|/);
      expect(text.length).toBeGreaterThan(10);
    }
    expect(result.docsUrl).toMatch(/^https:\/\//);
  });

  it('holds at least 60 distinct messages, each with a source', () => {
    const distinct = new Set(
      MESSAGE_FIXTURES.flatMap((fixture) => [fixture.stoppedReason, fixture.containerReason]).filter(
        (message): message is string => message !== undefined,
      ),
    );
    expect(distinct.size).toBeGreaterThanOrEqual(60);
    for (const fixture of MESSAGE_FIXTURES) expect(fixture.source).toMatch(/^https:\/\/\S+$/);
  });

  it('covers every category with a real message', () => {
    const covered = new Set(MESSAGE_FIXTURES.map((fixture) => fixture.expected.category));
    expect([...CATEGORIES].filter((category) => !covered.has(category))).toEqual([]);
  });

  it('exercises every taxonomy entry', () => {
    const tested = new Set([
      ...MESSAGE_FIXTURES.map((fixture) => fixture.expected.entry),
      ...CONSTRUCTED.map((item) => item.entry),
    ]);
    expect(TAXONOMY.map((entry) => entry.id).filter((id) => !tested.has(id))).toEqual([]);
  });

  it.each(CONSTRUCTED.map((item) => [item.entry, item] as const))('constructed case %s', (_, item) => {
    expect(classify(item.signals).entryId).toBe(item.entry);
  });

  it('keeps recognising every message ECS cuts at 255 characters', () => {
    for (const fixture of MESSAGE_FIXTURES.filter((item) => item.expected.category !== 'unknown')) {
      const signals = signalsOf(fixture);
      const cut: StopSignals = {
        ...signals,
        ...(signals.stoppedReason ? { stoppedReason: signals.stoppedReason.slice(0, ECS_REASON_MAX) } : {}),
        containers: (signals.containers ?? []).map((container) => ({
          ...container,
          ...(container.reason ? { reason: container.reason.slice(0, ECS_REASON_MAX) } : {}),
        })),
      };
      expect(classify(cut).category, label(fixture)).not.toBe('unknown');
    }
  });
});

describe('classify: precedence and facts', () => {
  it('prefers a container reason over the generic task reason', () => {
    const result = classify({
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'log-router', exitCode: 0 },
        {
          name: 'api',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2',
          reason: 'CannotPullContainerError: manifest unknown',
        },
      ],
    });
    expect(result).toMatchObject({
      category: 'image-pull',
      entryId: 'image-not-found',
      facts: { container: 'api', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2' },
    });
    expect(result.summary).toBe(
      'Image 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2 was not found in Amazon ECR.',
    );
    expect(result.evidence[0]).toMatchObject({ source: 'container', container: 'api' });
  });

  it('reads the image out of containerd\'s "not found" for a missing tag', () => {
    const result = classify({
      stoppedReason:
        'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.3: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.3: not found',
    });
    expect(result.facts.image).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.3');
  });

  it('treats a stop by a user as intentional even when the container was killed', () => {
    const result = classify({
      stoppedReason: 'Task stopped by user',
      stopCode: 'UserInitiated',
      containers: [{ name: 'api', exitCode: 137 }],
    });
    expect(result.category).toBe('stopped-by-user-or-scheduler');
  });

  it('lets evidence of a real failure win over who stopped the task', () => {
    const result = classify({
      stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1234)',
      stopCode: 'ServiceSchedulerInitiated',
      containers: [{ name: 'api', reason: 'CannotPullContainerError: toomanyrequests: Rate exceeded' }],
    });
    expect(result.entryId).toBe('registry-rate-limited');
  });

  it('drops a value cut off by the 255-character limit and uses the container image instead', () => {
    const image =
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/very-long-repository-name:2026-11-21-build-4711';
    const prefix = 'CannotPullContainerError: Error response from daemon: pull access denied for ';
    const reason = `${prefix}${image}, repository does not exist or may require 'docker login'`.slice(
      0,
      prefix.length + 40,
    );
    const padded = `${'x'.repeat(ECS_REASON_MAX - reason.length)}${reason}`;
    const result = classify({ containers: [{ name: 'api', image, reason: padded }] });
    expect(result.truncated).toBe(true);
    expect(result.facts.image).toBe(image);
  });

  it('names the subnet, secret and instance when the message carries them', () => {
    expect(classify({ stoppedReason: 'Host EC2 (instance i-0a1b2c3d4e5f60001) terminated.' }).summary).toBe(
      'Instance i-0a1b2c3d4e5f60001 was stopped or terminated before the task could run.',
    );
    const secret = classify({
      stoppedReason:
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC from secrets manager: AccessDeniedException: denied',
    });
    expect(secret.entryId).toBe('secret-access-denied');
    expect(secret.summary).toContain('arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC');
  });

  it('reads exit codes when no message explains the stop', () => {
    expect(
      classify({
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'w', exitCode: 3 }],
      }).summary,
    ).toBe('The essential container w exited with code 3 before the task ran.');
  });

  it("does not blame a sidecar killed while ECS stopped the task (137) for an essential container's exit", () => {
    const stopped = {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    };
    // Flags unknown (an event alone): the container with a code of its own is the cause.
    const unknownFlags = classify({
      ...stopped,
      containers: [
        { name: 'app', exitCode: 1 },
        { name: 'datadog-agent', exitCode: 137 },
      ],
    });
    expect(unknownFlags.category).not.toBe('out-of-memory');
    expect(unknownFlags.summary).toContain('app');
    // Flags known: only essential containers can explain the stop; an essential one killed is still OOM.
    const known = classify({
      ...stopped,
      containers: [
        { name: 'app', exitCode: 1, essential: true },
        { name: 'datadog-agent', exitCode: 137, essential: false },
      ],
    });
    expect(known.summary).toContain('app');
    expect(known.category).not.toBe('out-of-memory');
    const oom = classify({
      ...stopped,
      containers: [
        { name: 'app', exitCode: 137, essential: true },
        { name: 'datadog-agent', exitCode: 1, essential: false },
      ],
    });
    expect(oom).toMatchObject({ category: 'out-of-memory' });
    expect(oom.summary).toContain('app');
  });

  it('answers unknown, quoting the reason, when nothing matches', () => {
    const result = classify({ stoppedReason: 'Something new from ECS' });
    expect(result.entryId).toBe(UNKNOWN_ENTRY.id);
    expect(result.cause).toContain('Something new from ECS');
    expect(classify({}).category).toBe('unknown');
  });
});

describe('classify: properties', () => {
  const container = fc.record(
    {
      name: fc.string({ maxLength: 20 }),
      image: fc.string({ maxLength: 60 }),
      reason: fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(...MESSAGE_FIXTURES.map(label))),
      exitCode: fc.option(fc.integer({ min: -1, max: 255 }), { nil: undefined }),
    },
    { requiredKeys: [] },
  );
  const signals = fc.record(
    {
      stoppedReason: fc.string({ maxLength: 300 }),
      stopCode: fc.constantFrom(
        'TaskFailedToStart',
        'EssentialContainerExited',
        'UserInitiated',
        'SpotInterruption',
      ),
      containers: fc.array(container, { maxLength: 4 }),
    },
    { requiredKeys: [] },
  );

  it('always answers with one known category and complete texts', () => {
    fc.assert(
      fc.property(signals, (input) => {
        const result = classify(input);
        expect(CATEGORIES).toContain(result.category);
        // Every placeholder is filled: what looks like one can only be quoted from the task's own text.
        const given = [
          input.stoppedReason,
          ...(input.containers ?? []).flatMap((c) => [c.name, c.image, c.reason]),
        ]
          .filter((text) => text !== undefined)
          .join('\n');
        for (const left of result.summary.match(/\{\w+\|/g) ?? []) expect(given).toContain(left);
      }),
    );
  });

  it('does not depend on the letter case of the message', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MESSAGE_FIXTURES), (fixture) => {
        const upper = signalsOf({
          ...fixture,
          ...(fixture.stoppedReason ? { stoppedReason: fixture.stoppedReason.toUpperCase() } : {}),
          ...(fixture.containerReason ? { containerReason: fixture.containerReason.toUpperCase() } : {}),
        });
        expect(classify(upper).category).toBe(fixture.expected.category);
      }),
    );
  });
});

describe('render', () => {
  it('fills facts, falls back, and nests fallbacks', () => {
    expect(render('read {secret|from {store|the store}}.', {})).toBe('read from the store.');
    expect(render('read {secret|from {store|the store}}.', { store: 'SSM' })).toBe('read from SSM.');
    expect(render('read {secret|from {store|the store}}.', { secret: 'x' })).toBe('read x.');
    expect(render('deployment {deployment|} (scale-in {d|})', {})).toBe('deployment (scale-in)');
  });

  it('quotes a fact that looks like a placeholder instead of filling it', () => {
    const facts = {
      image: '{secret|x}',
      secret: 'arn:aws:secretsmanager:us-east-1:1:secret:db',
      name: '$& $1',
    };
    expect(render('pull {image|the image}.', facts)).toBe('pull {secret|x}.');
    expect(render('container {name|}', facts)).toBe('container $& $1');
  });

  it('every template renders with no facts at all', () => {
    for (const entry of [...TAXONOMY, UNKNOWN_ENTRY]) {
      for (const template of [entry.summary, entry.cause, entry.remedy]) {
        expect(render(template, {}), entry.id).not.toMatch(/\{\w+\|/);
      }
    }
  });
});

describe('registryOf', () => {
  it.each([
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2', 'Amazon ECR'],
    ['public.ecr.aws/nginx/nginx:1.27', 'Amazon ECR Public'],
    ['nginx:latest', 'Docker Hub'],
    ['bitnami/redis', 'Docker Hub'],
    ['docker.io/library/owncloud', 'Docker Hub'],
    ['quay.io/deepfenceio/cloud-scanner:latest', 'quay.io'],
    ['registry.example.com:5000/team/app', 'registry.example.com:5000'],
  ])('%s is on %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });
});
