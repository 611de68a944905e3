import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './classify';
import { anatomyOf, causeOf, stageOf } from './structure';
import type { Category } from './taxonomy';

describe('stageOf', () => {
  it.each([
    ['CannotPullContainerError: API error (500): Get https://r.example.com/v2/: EOF', 'pull'],
    ['error while pulling image amazon/amazon-ecs-pause:0.1.0 for container ~internal~ecs~pause', 'pull'],
    [
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed',
      'secrets',
    ],
    [
      'ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve ecr registry auth',
      'registry-auth',
    ],
    ['fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: /a', 'secrets'],
    [
      'ResourceInitializationError: failed to download env files: file download command: non empty error stream',
      'secrets',
    ],
    ['container resource provisioning: failed to setup network namespace: bridge ipam ADD', 'network-setup'],
    ['ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes', 'volume'],
    [
      'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: x',
      'logging',
    ],
    ['CannotCreateContainerError: Error response from daemon: Conflict.', 'create'],
    [
      'CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task',
      'start',
    ],
    ['DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s', 'runtime'],
    ['ResourceInitializationError: something new', 'resource-init'],
    ['Essential container in task exited', undefined],
  ])('%s -> %s', (text, stage) => {
    expect(stageOf(text)).toBe(stage);
  });

  it('ignores names: an image called aws-for-fluent-bit is pulled, not logged', () => {
    expect(
      stageOf(
        'CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/amazon/aws-for-fluent-bit/manifests/sha256:330a',
      ),
    ).toBe('pull');
    expect(
      stageOf(
        'Error response from daemon: Get https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/amazon-k8s-cni/manifests/v1.6.3: no basic auth credentials',
      ),
    ).toBe('pull');
  });
});

describe('causeOf', () => {
  it('takes the innermost error of the chain', () => {
    expect(
      causeOf(
        'unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: boom caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 1.2.3.4:443: i/o timeout',
      )?.cause,
    ).toBe('unreachable');
    expect(
      causeOf(
        "pull access denied for acme/api, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
      )?.cause,
    ).toBe('denied');
    expect(causeOf('repository acme/api not found: does not exist or no pull access')?.cause).toBe(
      'not-found',
    );
  });

  it('reads a KMS refusal as KMS, wherever AccessDenied wraps it', () => {
    expect(
      causeOf('AccessDeniedException: Access to KMS is not allowed status code: 400, request id: 1')?.cause,
    ).toBe('kms');
  });

  it("trusts the agent's own hint over Docker's ambiguous words", () => {
    expect(
      causeOf(
        "The task can’t pull the image. Check whether the image exists. Error response from daemon: pull access denied for x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
      )?.cause,
    ).toBe('not-found');
  });

  it('lets a cause that says everything win over the layers around it', () => {
    expect(
      causeOf('CannotPullContainerError: context deadline exceeded: no space left on device')?.cause,
    ).toBe('disk-full');
    expect(anatomyOf('exec: "./run.sh": stat ./run.sh: no such file or directory').cause).toBe(
      'command-missing',
    );
  });
});

/**
 * New wordings built from parts: a stage's outer error, any of the layers that wrap errors on the way
 * up, and a root cause, in any letter case. The category must follow the stage and the root cause.
 */
describe('classify: any chain of a stage and a root cause', () => {
  type Group = 'pull' | 'secrets';
  const STAGES: Record<Group, string[]> = {
    pull: [
      'CannotPullContainerError: ',
      'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/acme/api:1: ',
      'CannotPullContainerError: Error response from daemon: Get "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/api/manifests/1": ',
      'CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: ',
      'CannotPullContainerError: API error (500): ',
    ],
    secrets: [
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db from secrets manager: ',
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): ',
      'fetching secret data from SSM Parameter Store in eu-west-1: ',
      'ResourceInitializationError: failed to download env files: file download command: non empty error stream: failed to download file app.env: ',
    ],
  };
  const LAYERS = [
    'service call has been retried 3 time(s): ',
    'caused by: ',
    'failed to do request: ',
    'Error response from daemon: ',
    'API error (500): ',
  ];
  const CAUSES: { causes: string[]; expected: Record<Group, Category> }[] = [
    {
      causes: [
        'dial tcp 10.0.3.7:443: i/o timeout',
        'RequestCanceled: request context canceled caused by: context deadline exceeded',
        'net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
        'dial tcp: lookup api.example.com on 10.0.0.2:53: no such host',
        'read tcp 10.0.1.5:443: read: connection reset by peer',
      ],
      expected: { pull: 'network', secrets: 'network' },
    },
    {
      causes: [
        'AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/1 is not authorized to perform: this action',
        'unexpected status: 403 Forbidden',
        'UnrecognizedClientException: The security token included in the request is invalid',
      ],
      expected: { pull: 'registry-auth', secrets: 'secrets' },
    },
    {
      causes: ['no space left on device', 'write /var/lib/x: no space left on device: unknown'],
      expected: { pull: 'storage', secrets: 'storage' },
    },
  ];
  const SUFFIXES = ['', '\n\tstatus code: 400, request id: 5f2c', ': unknown', '.'];

  const chain = fc
    .record({
      group: fc.constantFrom<Group>('pull', 'secrets'),
      stageIndex: fc.nat(),
      layers: fc.array(fc.constantFrom(...LAYERS), { maxLength: 3 }),
      causeGroup: fc.constantFrom(...CAUSES),
      causeIndex: fc.nat(),
      suffix: fc.constantFrom(...SUFFIXES),
      upper: fc.boolean(),
    })
    .map(({ group, stageIndex, layers, causeGroup, causeIndex, suffix, upper }) => {
      const stages = STAGES[group];
      const text = `${stages[stageIndex % stages.length]}${layers.join('')}${causeGroup.causes[causeIndex % causeGroup.causes.length]}${suffix}`;
      return { text: upper ? text.toUpperCase() : text, expected: causeGroup.expected[group] };
    });

  it('lands in the category of its root cause, with the stage as context', () => {
    fc.assert(
      fc.property(chain, ({ text, expected }) => {
        expect(classify({ containers: [{ name: 'app', reason: text }] }).category).toBe(expected);
      }),
      // Fixed seed: the same cases on every run (a failure names its seed and path to replay).
      { seed: 19, numRuns: 500 },
    );
  });
});
