import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signalsOf as corpusSignals } from '../../test/corpus/failed-start/evaluate';
import { MESSAGE_FIXTURES, type MessageFixture } from '../../test/corpus/failed-start/fixtures';
import { TUNED } from '../../test/corpus/failed-start/index';
import {
  type ContainerSignal,
  classify,
  ECS_REASON_MAX,
  registryOf,
  render,
  type StopSignals,
} from './classify';
import { CATEGORIES, type Category, TAXONOMY, UNKNOWN_ENTRY } from './taxonomy';

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
  // ECS replaced the task after its host failed a health check: the host went away, like Spot.
  { entry: 'spot-stop-code', signals: { stopCode: 'InfrastructureHealth' } },
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
  { entry: 'ecs-internal-error', signals: { stoppedReason: 'Task stopped due to an internal error' } },
  {
    entry: 'infrastructure-maintenance',
    signals: {
      stoppedReason:
        'Task is stopping because ECS is performing maintenance on the underlying infrastructure hosting the task.',
    },
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
      ...TUNED.map((message) => classify(corpusSignals(message)).entryId),
    ]);
    expect(TAXONOMY.map((entry) => entry.id).filter((id) => !tested.has(id))).toEqual([]);
  });

  it.each(CONSTRUCTED.map((item) => [item.entry, item] as const))('constructed case %s', (_, item) => {
    expect(classify(item.signals).entryId).toBe(item.entry);
  });

  it('keeps recognising messages cut at 255 characters (older consoles, pastes)', () => {
    for (const fixture of MESSAGE_FIXTURES.filter((item) => item.expected.category !== 'unknown')) {
      const signals = signalsOf(fixture);
      const cut: StopSignals = {
        ...signals,
        ...(signals.stoppedReason ? { stoppedReason: signals.stoppedReason.slice(0, 255) } : {}),
        containers: (signals.containers ?? []).map((container) => ({
          ...container,
          ...(container.reason ? { reason: container.reason.slice(0, 255) } : {}),
        })),
      };
      expect(classify(cut).category, label(fixture)).not.toBe('unknown');
    }
  });

  it('treats a reason as cut only at the 1024 characters ECS keeps', () => {
    expect(ECS_REASON_MAX).toBe(1024);
    const reason = `CannotPullContainerError: ${'x'.repeat(300)}: manifest unknown`;
    expect(classify({ containers: [{ name: 'api', reason }] }).truncated).toBe(false);
    const long = `CannotPullContainerError: ${'x'.repeat(1100)}`.slice(0, ECS_REASON_MAX);
    expect(classify({ containers: [{ name: 'api', reason: long }] }).truncated).toBe(true);
  });

  it('keeps a value that ends a long reason ECS did not cut', () => {
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/service:2026-11-21';
    const reason = `CannotPullContainerError: pull image manifest has been retried 5 time(s): ${'layer '.repeat(50)}manifest for ${image} not found`;
    expect(reason.length).toBeGreaterThan(255);
    const result = classify({ containers: [{ name: 'api', reason }] });
    expect(result.truncated).toBe(false);
    expect(result.facts.image).toBe(image);
  });
});

/**
 * Wordings of known causes written for this test (other registries, runtimes, SDK errors, older agents),
 * none taken from the corpus: the stage and the innermost cause must place them, whatever the case.
 */
const NEW_WORDINGS: readonly (readonly [Category, string])[] = [
  [
    'registry-auth',
    'CannotPullContainerError: failed to pull and unpack image "docker.io/library/foo:latest": failed to resolve reference "docker.io/library/foo:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
  ],
  [
    'network',
    'CannotPullContainerError: Error response from daemon: Get "https://registry-1.docker.io/v2/": context deadline exceeded',
  ],
  [
    'registry-auth',
    'CannotPullContainerError: Error response from daemon: Head "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/latest": no basic auth credentials',
  ],
  [
    'registry-auth',
    'CannotPullContainerError: Error response from daemon: Get https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/latest: denied: Your authorization token has expired. Reauthenticate and try again.',
  ],
  [
    'storage',
    'CannotPullContainerError: Error response from daemon: failed to register layer: ApplyLayer exit status 1 stdout:  stderr: write /usr/lib/x.so: no space left on device',
  ],
  [
    'network',
    'CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a/b": net/http: TLS handshake timeout',
  ],
  [
    'network',
    'CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: read tcp 10.0.1.5:44382->52.216.1.1:443: read: connection reset by peer',
  ],
  [
    'image-pull',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1: pulling from host 123456789012.dkr.ecr.us-east-1.amazonaws.com failed with status code [manifests 1]: 404 Not Found',
  ],
  [
    'registry-auth',
    'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref docker.io/acme/app:1: unexpected status from HEAD request to https://registry-1.docker.io/v2/acme/app/manifests/1: 401 Unauthorized',
  ],
  [
    'network',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/redis:7: failed to authorize: failed to fetch anonymous token: Get "https://auth.docker.io/token?scope=repository": dial tcp: lookup auth.docker.io: no such host',
  ],
  [
    'registry-auth',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/acme/app:1: failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized',
  ],
  [
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): ParameterNotFound: ',
  ],
  [
    'secrets',
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:1:secret:x from secrets manager: InvalidRequestException: You can't perform this operation on the secret because it was marked for deletion.",
  ],
  [
    'secrets',
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:1:secret:x from secrets manager: DecryptionFailure: Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
  ],
  [
    'secrets',
    'Fetching secret data from AWS Secrets Manager in region us-east-1: secret arn:aws:secretsmanager:us-east-1:1:secret:x: AccessDeniedException: User is not authorized',
  ],
  [
    'secrets',
    "ResourceInitializationError: failed to download env files: file download command: non empty error stream: failed to download file x.env: InvalidObjectState: The operation is not valid for the object's storage class",
  ],
  [
    'network',
    'ResourceInitializationError: failed to download env files: file download command: non empty error stream: failed to download file prod.env: RequestError: send request failed caused by: Get "https://bucket.s3.amazonaws.com/prod.env": dial tcp 52.1.1.1:443: i/o timeout',
  ],
  [
    'network',
    'ResourceInitializationError: failed to setup network namespace: plugin type="ecs-eni" failed (add): interface not found',
  ],
  ['network', 'ResourceInitializationError: ENI attachment failed'],
  [
    'task-definition',
    'CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/efs/data" to rootfs at "/data": mount /efs/data:/data, flags: 0x5000: no such file or directory: unknown',
  ],
  [
    'task-definition',
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: unable to find user nginx: no matching entries in passwd file: unknown',
  ],
  ['task-definition', 'linux spec user: unable to find group app: no matching entries in group file'],
  ['network', 'CannotStartContainerError: Error response from daemon: Address already in use'],
  [
    'health-check',
    'Task failed Elastic Load Balancing health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/y)',
  ],
  [
    'host-or-spot',
    'Task is stopping because it is running on infrastructure that is scheduled for retirement',
  ],
  [
    'storage',
    "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: access denied by server while mounting 127.0.0.1:/'",
  ],
  [
    'task-definition',
    'CannotCreateContainerError: Error response from daemon: invalid mount config for type "bind": bind source path does not exist: /data',
  ],
  [
    'logging',
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: dial unix /var/run/fluent.sock: connect: no such file or directory',
  ],
  [
    'container-command',
    'CannotPullContainerError: no matching manifest for linux/arm64/v8 in the manifest list entries',
  ],
  [
    'container-command',
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown',
  ],
  ['image-pull', 'CannotPullContainerError: invalid reference format: repository name must be lowercase'],
  [
    'registry-auth',
    'CannotPullContainerError: Error: Status 403 trying to pull repository acme/app: "{\\"errors\\":[{\\"code\\":\\"DENIED\\"}]}"',
  ],
  ['image-pull', 'CannotPullContainerError: Error: Status 404 trying to pull repository acme/app'],
  [
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): ValidationException: Parameter ARN is not valid',
  ],
  [
    'registry-auth',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): UnrecognizedClientException: The security token included in the request is invalid',
  ],
  [
    'storage',
    'CannotPullContainerError: failed to unpack image on snapshotter overlayfs: failed to extract layer sha256:1: mount callback failed on /tmp/containerd-mount1: write /tmp/x: no space left on device: unknown',
  ],
  ['platform-internal', 'Task stopped due to an internal error'],
  ['platform-internal', 'CannotStopContainerError: context deadline exceeded'],
  [
    'platform-internal',
    'ContainerRuntimeTimeoutError: Could not transition to created; timed out after waiting 4m0s',
  ],
  [
    'logging',
    'CannotStartContainerError: API error (500): Failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.',
  ],
  ['task-definition', 'InvalidVolumeError: volume [data] : task scoped volume could not be autoprovisioned'],
  [
    'network',
    'CannotStartContainerError: Error response from daemon: driver failed programming external connectivity on endpoint ecs-x (abc): Error starting userland proxy: listen tcp4 0.0.0.0:80: bind: address already in use',
  ],
  [
    'registry-auth',
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to get registry auth from asm: service call has been retried 1 time(s): asm fetching secret from the service for dockerhub: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
  ],
  [
    'image-pull',
    'CannotPullContainerError: Error response from daemon: unknown: Tag v1 was deleted or has expired. To pull, revive via time machine',
  ],
  [
    'out-of-memory',
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error setting cgroup config for procHooks process: unable to set memory limit to 6 (current usage: 10, peak usage: 10): unknown',
  ],
  [
    'container-command',
    'CannotStartContainerError: Error response from daemon: container 4f2e encountered an error during hcsshim::System::CreateProcess: failure in a Windows system call: The system cannot find the file specified. (0x2)',
  ],
  [
    'network',
    'CannotStartContainerError: Error response from daemon: failed to create endpoint ecs-web-1 on network nat: HNS failed with error : The object already exists.',
  ],
  [
    'task-definition',
    "CannotStartContainerError: Error response from daemon: error while creating mount source path '/mnt/data/uploads': mkdir /mnt/data: read-only file system",
  ],
  [
    'network',
    'CannotPullContainerError: Error response from daemon: Get https://registry.example.com/v2/: proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused',
  ],
  [
    'logging',
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: Options "https://splunk.example.com:8088/services/collector/event/1.0": dial tcp: lookup splunk.example.com: no such host',
  ],
  [
    'logging',
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ThrottlingException: Rate exceeded',
  ],
  [
    'network',
    'CannotPullContainerError: error pulling image configuration: download failed after attempts=6: dial tcp 104.18.121.25:443: i/o timeout',
  ],
  [
    'storage',
    'CannotCreateContainerError: Error response from daemon: VolumeDriver.Mount: mount failed: exit status 32: mount.nfs4: Connection timed out',
  ],
];

describe('classify: new wordings of known causes', () => {
  it.each(NEW_WORDINGS.map(([category, text]) => [category, text.slice(0, 100), text] as const))(
    '%s: %s',
    (category, _, text) => {
      expect(classify({ stoppedReason: text, containers: [{ name: 'app' }] }).category).toBe(category);
      expect(classify({ containers: [{ name: 'app', reason: text.toLowerCase() }] }).category).toBe(category);
    },
  );
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

  it('drops a value cut off by the 1024-character limit and uses the container image instead', () => {
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
