import type { Category } from '../../../shared/failed-start/taxonomy';
import type { CorpusMessage } from './types';

// What the ECS container agent (github.com/aws/amazon-ecs-agent) can write into a task's or a
// container's reason: its named error types (`<ErrorName>: <message>`) wrapping the errors of Docker,
// containerd, runc, the CNI plugins and the AWS SDK, and its own format strings, filled with sample
// values. Each message names the file that writes it and the agent releases that do. This part is the
// one the classifier is tuned on.

const REPO = 'https://github.com/aws/amazon-ecs-agent/blob/master';
const DOCKER_ERRORS = `${REPO}/agent/dockerclient/dockerapi/errors.go`;
const AUGMENT = `${REPO}/agent/api/errormessages/error_messages.go`;
const SSM = `${REPO}/agent/taskresource/ssmsecret/ssmsecret.go`;
const ASM = `${REPO}/agent/taskresource/asmsecret/asmsecret.go`;
const ASM_CLIENT = `${REPO}/agent/asm/asm.go`;
const ASM_AUTH = `${REPO}/agent/taskresource/asmauth/asmauth.go`;
const ENVFILE = `${REPO}/agent/taskresource/envFiles/envfile.go`;
const FIRELENS = `${REPO}/agent/taskresource/firelens/firelens_unix.go`;
const ENGINE = `${REPO}/agent/engine/docker_task_engine.go`;
const DEPENDENCY = `${REPO}/agent/engine/dependencygraph/graph.go`;
const ENGINE_ERRORS = `${REPO}/agent/engine/errors.go`;
const RESOURCE_INIT = `${REPO}/ecs-agent/api/errors/errors.go`;

/** Agent releases by the Docker client they used and the messages they add. */
const ALL = '>=1.0.0';
const GO_DOCKERCLIENT = '<1.22.0 (fsouza/go-dockerclient: "API error (N)")';
const DOCKER_SDK = '>=1.22.0 (Docker SDK: "Error response from daemon")';
const AUGMENTED = '>=1.83.0 (hints in front of the Docker error)';
const SECRETS = '>=1.22.0 (secrets from SSM and Secrets Manager)';
const ENVFILES = '>=1.39.0 (environmentFiles from S3)';
const FIRELENS_V = '>=1.24.0 (FireLens)';

const agent = (
  category: Category,
  stoppedReason: string,
  source: string,
  agentVersions: string,
  extra: Partial<CorpusMessage> = {},
): CorpusMessage => ({ stoppedReason, category, source, origin: 'agent', agentVersions, ...extra });

const IMAGES = [
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2',
  'docker.io/library/nginx:1.27',
  'quay.io/prometheus/node-exporter:v1.8.0',
];
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

// --- Pulls: Docker's errors under the pull error types ------------------------------------------------
const pullCauses = (image: string): [Category, string][] => {
  const repo = image.replace(/:[^:/]+$/, '');
  const host = image.includes('.') ? (image.split('/')[0] ?? '') : 'registry-1.docker.io';
  return [
    ['image-pull', `manifest for ${image} not found: manifest unknown: manifest unknown`],
    ['image-pull', `manifest for ${image} not found`],
    ['image-pull', `repository ${repo} not found: does not exist or no pull access`],
    ['container-command', 'no matching manifest for linux/arm64/v8 in the manifest list entries'],
    [
      'registry-auth',
      `pull access denied for ${repo}, repository does not exist or may require 'docker login'`,
    ],
    [
      'registry-auth',
      `Get https://${host}/v2/${repo.split('/').slice(1).join('/')}/manifests/latest: no basic auth credentials`,
    ],
    [
      'registry-auth',
      `Head "https://${host}/v2/app/manifests/latest": unauthorized: authentication required`,
    ],
    [
      'network',
      `Get https://${host}/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`,
    ],
    ['network', `Get "https://${host}/v2/": dial tcp 52.46.146.12:443: i/o timeout`],
    ['network', `Get "https://${host}/v2/": dial tcp: lookup ${host} on 10.0.0.2:53: no such host`],
    ['network', `Get "https://${host}/v2/": net/http: TLS handshake timeout`],
    ['network', `Get "https://${host}/v2/": dial tcp 10.0.3.7:443: connect: connection refused`],
    [
      'image-pull',
      'toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    ],
    ['storage', 'write /var/lib/docker/tmp/GetImageBlob482718: no space left on device'],
    [
      'storage',
      'failed to register layer: Error processing tar file(exit status 1): write /usr/lib/libLLVM.so: no space left on device',
    ],
    ['image-pull', `received unexpected HTTP status: 500 Internal Server Error`],
  ];
};

const pulls: CorpusMessage[] = IMAGES.flatMap((image) =>
  pullCauses(image).flatMap(([category, cause]) => [
    agent(
      category,
      `CannotPullContainerError: Error response from daemon: ${cause}`,
      DOCKER_ERRORS,
      DOCKER_SDK,
    ),
    agent(category, `CannotPullContainerError: API error (500): ${cause}`, DOCKER_ERRORS, GO_DOCKERCLIENT),
  ]),
);

const augmented: CorpusMessage[] = [
  agent(
    'image-pull',
    `CannotPullContainerError: The task can’t pull the image. Check whether the image exists. Error response from daemon: pull access denied for ${ECR}/payments, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`,
    AUGMENT,
    AUGMENTED,
  ),
  agent(
    'registry-auth',
    `CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to pull images from the registry. Error response from daemon: pull access denied for ${ECR}/payments, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::123456789012:assumed-role/payments-exec/i-0a1 is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/payments`,
    AUGMENT,
    AUGMENTED,
  ),
  agent(
    'network',
    `CannotPullContainerError: The task can’t pull the image. Check your network configuration. Error response from daemon: Get "https://${ECR}/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`,
    AUGMENT,
    AUGMENTED,
  ),
  agent(
    'registry-auth',
    `CannotPullECRContainerError: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsInstanceRole/i-0a1b2c3d is not authorized to perform: ecr:GetAuthorizationToken on resource: *\n\tstatus code: 400, request id: 6f1c`,
    DOCKER_ERRORS,
    ALL,
  ),
  agent(
    'network',
    'CannotPullECRContainerError: RequestError: send request failed\ncaused by: Post https://api.ecr.us-east-1.amazonaws.com/: dial tcp 52.46.135.10:443: i/o timeout',
    DOCKER_ERRORS,
    ALL,
  ),
  agent(
    'image-pull',
    'CannotPullECRContainerError: ThrottlingException: Rate exceeded\n\tstatus code: 400, request id: 7d2a',
    DOCKER_ERRORS,
    ALL,
  ),
  agent(
    'registry-auth',
    'CannotPullContainerAuthError: asm fetching secret from the service for arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-Ab12: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/1 is not authorized to perform: secretsmanager:GetSecretValue',
    ASM_CLIENT,
    SECRETS,
  ),
  agent(
    'registry-auth',
    'asm fetching authorization data: unable to unmarshal secret value, invalid schema',
    ASM_CLIENT,
    SECRETS,
  ),
  agent(
    'registry-auth',
    'asm fetching username: AuthorizationData is malformed, empty field',
    ASM_CLIENT,
    SECRETS,
  ),
  agent(
    'registry-auth',
    'asm fetching password: AuthorizationData is malformed, empty field',
    ASM_CLIENT,
    SECRETS,
  ),
  agent('registry-auth', 'asm resource: unable to find execution role credentials', ASM_AUTH, SECRETS),
];

// --- Secrets and environment files fetched before the containers start (EC2 agent) -----------------
const awsCauses = (action: string, resource: string): [Category, string][] => [
  [
    'secrets',
    `AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/app-exec/4f2 is not authorized to perform: ${action} on resource: ${resource}\n\tstatus code: 400, request id: 0c9e`,
  ],
  [
    'secrets',
    `AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/app-exec/4f2 is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/1a2b3c4d because no identity-based policy allows the kms:Decrypt action`,
  ],
  [
    'network',
    `RequestError: send request failed\ncaused by: Post https://${action.startsWith('ssm') ? 'ssm' : 'secretsmanager'}.us-east-1.amazonaws.com/: dial tcp 3.227.250.1:443: i/o timeout`,
  ],
  ['network', 'RequestCanceled: request context canceled\ncaused by: context deadline exceeded'],
];

const secrets: CorpusMessage[] = [
  ...awsCauses('ssm:GetParameters', 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/db-url').map(
    ([category, cause]) =>
      agent(category, `fetching secret data from SSM Parameter Store in us-east-1: ${cause}`, SSM, SECRETS),
  ),
  agent(
    'secrets',
    'fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: /prod/db-url',
    SSM,
    SECRETS,
  ),
  agent(
    'secrets',
    'fetching secret data from SSM Parameter Store in eu-west-1: invalid parameters: /prod/a,/prod/b',
    SSM,
    SECRETS,
  ),
  agent('secrets', 'ssm secret resource: unable to find execution role credentials', SSM, SECRETS),
  agent('secrets', 'the provided SSM parameter:prod/db url is in an invalid format', SSM, SECRETS),
  ...awsCauses(
    'secretsmanager:GetSecretValue',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Ab12',
  ).map(([category, cause]) =>
    agent(
      category,
      `trying to retrieve secret with value arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Ab12 resulted in error: secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Ab12: ${cause}`,
      ASM,
      SECRETS,
    ),
  ),
  agent(
    'secrets',
    "ResourceNotFoundException: The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Ab12' from AWS Secrets Manager. Check whether the secret exists in the specified Region",
    ASM_CLIENT,
    '>=1.84.0 (augmented Secrets Manager message)',
  ),
  agent(
    'secrets',
    'retrieved secret from Secrets Manager did not contain json key password',
    ASM_CLIENT,
    SECRETS,
  ),
  agent(
    'secrets',
    'an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.',
    ASM,
    SECRETS,
  ),
  agent('secrets', 'ASM secret resource: unable to find execution role credentials', ASM, SECRETS),
  agent(
    'secrets',
    'could not find a secretsmanager secretID from value arn:aws:secretsmanager:us-east-1:123456789012:secret',
    ASM,
    SECRETS,
  ),
  ...(
    [
      ['secrets', 'AccessDenied: Access Denied\n\tstatus code: 403, request id: 9F2A, host id: abc='],
      ['secrets', 'NoSuchKey: The specified key does not exist.\n\tstatus code: 404'],
      ['secrets', 'NoSuchBucket: The specified bucket does not exist'],
      [
        'network',
        'RequestError: send request failed\ncaused by: Get "https://config-bucket.s3.us-east-1.amazonaws.com/prod/app.env": dial tcp 52.216.8.1:443: i/o timeout',
      ],
    ] as [Category, string][]
  ).map(([category, cause]) =>
    agent(
      category,
      `unable to download env file with key prod/app.env from bucket config-bucket, error: ${cause}`,
      ENVFILE,
      ENVFILES,
    ),
  ),
  agent(
    'secrets',
    'unable to parse bucket and key from s3 ARN specified in environmentFile arn:aws:s3:::config-bucket, error: invalid s3 arn: arn:aws:s3:::config-bucket',
    ENVFILE,
    ENVFILES,
  ),
  agent('secrets', 'environment file resource: unable to find execution role credentials', ENVFILE, ENVFILES),
  // Fargate's wording of the same failures (its agent wraps them as ResourceInitializationError).
  ...(
    [
      [
        'secrets',
        'AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/1 is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Ab12',
      ],
      ['secrets', 'AccessDeniedException: Access to KMS is not allowed'],
      ['secrets', "ResourceNotFoundException: Secrets Manager can't find the specified secret."],
      ['network', 'RequestCanceled: request context canceled caused by: context deadline exceeded'],
      [
        'network',
        'RequestError: send request failed caused by: Post "https://secretsmanager.us-east-1.amazonaws.com/": dial tcp 3.236.1.9:443: i/o timeout',
      ],
    ] as [Category, string][]
  ).map(([category, cause]) =>
    agent(
      category,
      `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Ab12 from secrets manager: ${cause}`,
      RESOURCE_INIT,
      'Fargate platform 1.4.0+',
    ),
  ),
];

// --- Task networking: awsvpc (CNI plugins) and bridge host ports -------------------------------------
const cni = [
  'bridge ipam ADD: failed to execute plugin: ecs-ipam: getIPV4AddressFromDB ipam: query ip address: timeout',
  'invoke eni plugin failed: getInterfaceDeviceName engine: unable to get device with hardware address 0a:1b:2c:3d:4e:5f: not found',
  'plugin type="ecs-eni" name="ecs-eni" failed (add): failed to find the interface with mac 0a:1b:2c:3d:4e:5f',
  'bridge create veth pair: unable to setup veth pair for interface: ecs-eth0: container veth name provided (ecs-eth0) already exists',
  'plugin type="vpc-branch-eni" failed (add): failed to find branch ENI: timed out',
];
const networking: CorpusMessage[] = [
  ...cni.map((cause) =>
    agent(
      'network',
      `container resource provisioning: failed to setup network namespace: ${cause}`,
      ENGINE,
      '>=1.15.0 (awsvpc)',
    ),
  ),
  ...cni.map((cause) =>
    agent(
      'network',
      `ContainerNetworkingError: container resource provisioning: failed to setup network namespace: ${cause}`,
      ENGINE_ERRORS,
      '>=1.15.0 (awsvpc)',
    ),
  ),
  agent(
    'network',
    'container resource provisioning: cannot setup task network namespace due to error inspecting pause container: context deadline exceeded',
    ENGINE,
    '>=1.15.0 (awsvpc)',
  ),
  agent(
    'network',
    'container resource provisioning: unable to build cni configuration, engine: failed to build cni configuration from task: awsvpc mode task does not have a primary ENI',
    ENGINE,
    '>=1.15.0 (awsvpc)',
  ),
  agent(
    'network',
    'container resource provisioning: empty result from network namespace setup',
    ENGINE,
    '>=1.15.0 (awsvpc)',
  ),
  agent(
    'network',
    'startContainer: cni plugin invocation failed: plugin type="ecs-serviceconnect" failed (add): timeout',
    ENGINE,
    '>=1.67.0 (Service Connect)',
  ),
  ...[
    'driver failed programming external connectivity on endpoint ecs-web-12-web-a0f6e8c2b4d1 (5e1f): Bind for 0.0.0.0:8080 failed: port is already allocated',
    'driver failed programming external connectivity on endpoint ecs-api-3-api-8c9d (77aa): Error starting userland proxy: listen tcp4 0.0.0.0:443: bind: address already in use',
  ].flatMap((cause) => [
    agent(
      'network',
      `CannotStartContainerError: Error response from daemon: ${cause}`,
      DOCKER_ERRORS,
      DOCKER_SDK,
    ),
    agent('network', `CannotStartContainerError: API error (500): ${cause}`, DOCKER_ERRORS, GO_DOCKERCLIENT),
  ]),
];

// --- Container start: runc's errors under the start error types --------------------------------------
const runcCauses: [Category, string][] = [
  ['container-command', 'exec: "node server.js": executable file not found in $PATH'],
  ['container-command', 'exec: "/app/entrypoint.sh": permission denied'],
  ['container-command', 'exec: "/app/run": stat /app/run: no such file or directory'],
  ['container-command', 'exec format error'],
  ['task-definition', 'unable to find user app: no matching entries in passwd file'],
  [
    'task-definition',
    'error mounting "/etc/app/config.yml" to rootfs at "/app/config": mount /etc/app/config.yml:/app/config (via /proc/self/fd/6), flags: 0x5000: not a directory',
  ],
  [
    'task-definition',
    'error mounting "/data/uploads" to rootfs at "/var/www/uploads": mkdir /var/lib/docker/overlay2/3a/merged/var/www/uploads: read-only file system',
  ],
  ['task-definition', 'chdir to cwd ("/srv/app") set in config.json failed: no such file or directory'],
  [
    'task-definition',
    'error setting rlimits for ready process: error setting rlimit type 7: operation not permitted',
  ],
  ['out-of-memory', 'container init was OOM-killed (memory limit too low?)'],
  [
    'out-of-memory',
    'error setting cgroup config for procHooks process: unable to set memory limit to 4194304 (current usage: 5431296, peak usage: 5431296)',
  ],
];
const runcWrappers: [string, string][] = [
  [
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ',
    ': unknown',
  ],
  [
    'CannotStartContainerError: Error response from daemon: OCI runtime create failed: container_linux.go:380: starting container process caused: ',
    ': unknown',
  ],
  [
    'CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ',
    ': unknown',
  ],
];
const starts: CorpusMessage[] = [
  ...runcCauses.flatMap(([category, cause]) =>
    runcWrappers.map(([before, after]) =>
      agent(category, `${before}${cause}${after}`, DOCKER_ERRORS, DOCKER_SDK),
    ),
  ),
  agent(
    'container-command',
    'CannotStartContainerError: API error (500): Cannot start container 0f3c: [8] System error: exec: "python app.py": executable file not found in $PATH',
    DOCKER_ERRORS,
    GO_DOCKERCLIENT,
  ),
  agent(
    'task-definition',
    'CannotStartContainerError: API error (500): Cannot start container 0f3c: [8] System error: Unable to find user www',
    DOCKER_ERRORS,
    GO_DOCKERCLIENT,
  ),
  agent(
    'task-definition',
    'CannotStartContainerError: Error response from daemon: error gathering device information while adding custom device "/dev/nvidia0": no such file or directory',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'task-definition',
    'HostConfigError: Unable to resolve volume mounts; invalid path: data-volume -> /data',
    RESOURCE_INIT,
    ALL,
  ),
  agent(
    'platform-internal',
    'CannotStartContainerError: Error response from daemon: No such container: 4f2a9c',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'platform-internal',
    'CannotStartContainerError: failed to get container status: context deadline exceeded',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
];

// --- Logging drivers ------------------------------------------------------------------------------------
const logCauses: [Category, string][] = [
  [
    'logging',
    'failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.',
  ],
  [
    'logging',
    'failed to create Cloudwatch log group: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsInstanceRole/i-0a1 is not authorized to perform: logs:CreateLogGroup',
  ],
  [
    'logging',
    'failed to create Cloudwatch log stream: NoCredentialProviders: no valid providers in chain. Deprecated.',
  ],
  [
    'logging',
    "failed to create Cloudwatch log stream: InvalidParameterException: 1 validation error detected: Value '' at 'logStreamName' failed to satisfy constraint",
  ],
  [
    'network',
    'failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "https://logs.us-east-1.amazonaws.com/": dial tcp 52.94.0.9:443: i/o timeout',
  ],
  ['logging', 'dial tcp 127.0.0.1:24224: connect: connection refused'],
  ['logging', 'dial unix /var/run/fluent.sock: connect: no such file or directory'],
];
const logging: CorpusMessage[] = [
  ...logCauses.flatMap(([category, cause]) => [
    agent(
      category,
      `CannotStartContainerError: Error response from daemon: failed to initialize logging driver: ${cause}`,
      DOCKER_ERRORS,
      DOCKER_SDK,
    ),
    agent(
      category,
      `CannotStartContainerError: API error (500): failed to initialize logging driver: ${cause}`,
      DOCKER_ERRORS,
      GO_DOCKERCLIENT,
    ),
    agent(
      category,
      `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: ${cause} : exit status 1`,
      RESOURCE_INIT,
      'Fargate platform 1.4.0+',
    ),
  ]),
  agent(
    'logging',
    'CannotCreateContainerError: failed to create container - container uses awsfirelens log driver and we failed to resolve Firelens bridge IP',
    ENGINE,
    FIRELENS_V,
  ),
  agent(
    'logging',
    'unable to initialize firelens resource: unable to generate firelens config file: invalid firelens configuration type: fluent',
    FIRELENS,
    FIRELENS_V,
  ),
  agent(
    'logging',
    'unable to download firelens s3 config file: unable to download s3 config extra.conf from bucket log-config: AccessDenied: Access Denied',
    FIRELENS,
    FIRELENS_V,
  ),
  agent('logging', 'Bridge IP not available to use for firelens', ENGINE, FIRELENS_V),
];

// --- Creation, volumes, timeouts ---------------------------------------------------------------------
const platform: CorpusMessage[] = [
  agent(
    'storage',
    'CannotCreateContainerError: Error response from daemon: failed to mkdir /var/lib/docker/overlay2/9b/work: no space left on device',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'storage',
    'CannotCreateContainerError: Error response from daemon: devmapper: Thin Pool has 1022 free data blocks which is less than minimum required 1638 free data blocks.',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'platform-internal',
    'CannotCreateContainerError: Error response from daemon: Conflict. The container name "/ecs-api-4-api-b2c1" is already in use by container "7d1e". You have to remove (or rename) that container to be able to reuse that name.',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'platform-internal',
    'CannotCreateContainerError: API error (500): Untar',
    DOCKER_ERRORS,
    GO_DOCKERCLIENT,
  ),
  agent(
    'platform-internal',
    'CannotCreateContainerError: Error response from daemon: No such image: docker.io/library/nginx:1.27',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'task-definition',
    'CannotCreateContainerError: Error response from daemon: Minimum memory limit allowed is 6MB',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'storage',
    'CannotCreateVolumeError: Error response from daemon: create efs-data: VolumeDriver.Create: mounting volume failed: mount.nfs4: Connection timed out',
    DOCKER_ERRORS,
    '>=1.35.0 (EFS volumes)',
  ),
  agent(
    'storage',
    'CannotCreateVolumeError: Error response from daemon: create shared: VolumeDriver.Create: volume plugin rexray/ebs not found',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'storage',
    'CannotCreateVolumeError: unable to copy contents to volume on host: context deadline exceeded',
    DOCKER_ERRORS,
    DOCKER_SDK,
  ),
  agent(
    'platform-internal',
    'DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s',
    DOCKER_ERRORS,
    ALL,
  ),
  agent(
    'platform-internal',
    'DockerTimeoutError: Could not transition to started; timed out after waiting 3m0s',
    DOCKER_ERRORS,
    ALL,
  ),
  agent(
    'platform-internal',
    'CannotInspectContainerError: Could not transition to inspecting; timed out after waiting 30s',
    DOCKER_ERRORS,
    ALL,
  ),
  agent(
    'platform-internal',
    'CannotStopContainerError: API error (500): Cannot stop container 5d2e: Cannot kill container 5d2e: rpc error: code = 14 desc = grpc: the connection is unavailable',
    DOCKER_ERRORS,
    GO_DOCKERCLIENT,
  ),
  agent(
    'platform-internal',
    'CannotGetDockerclientError: (v1.21) - docker client version is not supported',
    DOCKER_ERRORS,
    ALL,
  ),
  agent(
    'platform-internal',
    'ContainerVanishedError: No container matching saved ID found',
    ENGINE_ERRORS,
    ALL,
  ),
  agent(
    'platform-internal',
    'Task dependencies cannot be resolved, taskArn: arn:aws:ecs:us-east-1:123456789012:task/web/4f1c',
    ENGINE_ERRORS,
    ALL,
  ),
  agent(
    'essential-container-exited',
    'dependency graph: failed to resolve container ordering dependency [migrate] for target [app] as dependency did not exit successfully.',
    DEPENDENCY,
    '>=1.26.0 (dependsOn)',
  ),
  agent(
    'health-check',
    'dependency graph: container ordering dependency [db] for target [app] has timed out.',
    DEPENDENCY,
    '>=1.26.0 (dependsOn)',
  ),
  agent('out-of-memory', 'OutOfMemoryError: Container killed due to memory usage', DOCKER_ERRORS, ALL, {
    exitCode: 137,
  }),
];

// --- What the agent reports for a task as a whole ------------------------------------------------------
const task: CorpusMessage[] = [
  ...[1, 2, 3, 64, 78, 134, 139, 255].map((exitCode) =>
    agent('essential-container-exited', 'Essential container in task exited', ENGINE, ALL, {
      exitCode,
      stopCode: 'EssentialContainerExited',
    }),
  ),
  agent('out-of-memory', 'Essential container in task exited', ENGINE, ALL, { exitCode: 137 }),
  agent('container-command', 'Essential container in task exited', ENGINE, ALL, { exitCode: 127 }),
  agent('container-command', 'Essential container in task exited', ENGINE, ALL, { exitCode: 126 }),
];

export const AGENT_MESSAGES: readonly CorpusMessage[] = [
  ...pulls,
  ...augmented,
  ...secrets,
  ...networking,
  ...starts,
  ...logging,
  ...platform,
  ...task,
];
