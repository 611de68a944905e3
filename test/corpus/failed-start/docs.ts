import type { Category } from '../../../shared/failed-start/taxonomy';
import type { CorpusMessage } from './types';

// Messages as the ECS developer guide and AWS knowledge-center pages print them (placeholders filled
// with sample values where the page shows `<...>`; a `note` marks the few whose wording is rebuilt from
// the page's description). Held out: the classifier is never tuned on them.

const GUIDE = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide';
const PULL = `${GUIDE}/task_cannot_pull_image.html`;
const INIT = `${GUIDE}/resource-initialization-error.html`;
const START = `${GUIDE}/cannot-start-container.html`;
const CREATE = `${GUIDE}/CannotCreateContainerError.html`;
const INSPECT = `${GUIDE}/cannot-inspect-container.html`;
const CODES = `${GUIDE}/stopped-task-error-codes.html`;
const SECRETS_KC = 'https://repost.aws/knowledge-center/ecs-unable-to-pull-secrets';
const FARGATE_PULL_KC = 'https://repost.aws/knowledge-center/ecs-fargate-pull-container-error';
const RATE_KC = 'https://repost.aws/knowledge-center/ecs-pull-container-error-rate-limit';
const EFS_KC = 'https://repost.aws/knowledge-center/fargate-unable-to-mount-efs';
const LOGS_KC = 'https://repost.aws/knowledge-center/ecs-resource-initialization-error';
const MAINTENANCE = `${GUIDE}/task-maintenance.html`;
const SPOT = `${GUIDE}/fargate-capacity-providers.html`;
const HEALTH = `${GUIDE}/healthcheck.html`;

const doc = (
  category: Category,
  stoppedReason: string,
  source: string,
  extra: Partial<CorpusMessage> = {},
): CorpusMessage => ({ stoppedReason, category, source, origin: 'docs', year: 2025, ...extra });

export const DOCS_MESSAGES: readonly CorpusMessage[] = [
  // --- CannotPullContainerError page ---------------------------------------------------------------
  doc(
    'network',
    'CannotPullContainerError: Error response from daemon: Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    PULL,
  ),
  doc(
    'network',
    'CannotPullContainerError: Error response from daemon: Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    PULL,
  ),
  doc(
    'network',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest: failed to do request: Head "https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/latest": dial tcp 52.46.148.40:443: i/o timeout',
    PULL,
  ),
  doc(
    'network',
    'CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2-111122223333-c3d4/e5f6?X-Amz-Security-Token=IQoJb3": dial tcp 52.217.12.70:443: i/o timeout',
    PULL,
    { note: 'ECR layers come from S3: a VPC without the S3 gateway endpoint' },
  ),
  doc(
    'image-pull',
    'CannotPullContainerError: API error (404): repository 111122223333.dkr.ecr.us-east-1.amazonaws.com/orders not found',
    PULL,
  ),
  doc(
    'image-pull',
    'CannotPullContainerError: Error response from daemon: manifest for 111122223333.dkr.ecr.us-east-1.amazonaws.com/orders:2.4.1 not found: manifest unknown: Requested image not found',
    PULL,
  ),
  doc(
    'image-pull',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/orders:2.4.1: 111122223333.dkr.ecr.us-east-1.amazonaws.com/orders:2.4.1: not found',
    PULL,
  ),
  doc(
    'registry-auth',
    "CannotPullContainerError: Error response from daemon: pull access denied for 111122223333.dkr.ecr.us-east-1.amazonaws.com/orders, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/7f3c is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:111122223333:repository/orders",
    PULL,
  ),
  doc(
    'registry-auth',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/orders:2.4.1: pulling from host 111122223333.dkr.ecr.us-east-1.amazonaws.com failed with status code [manifests 2.4.1]: 403 Forbidden',
    PULL,
  ),
  doc(
    'storage',
    'CannotPullContainerError: failed to register layer: Error processing tar file(exit status 1): write /usr/lib/jvm/java-17/lib/modules: no space left on device',
    PULL,
  ),
  doc(
    'storage',
    'CannotPullContainerError: ref pull has been retried 1 time(s): failed to extract layer sha256:0b2e6d1c4b5e: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/48/fs/usr/local/lib/libtorch_cuda.so: no space left on device: unknown',
    PULL,
    { note: 'Fargate ephemeral storage smaller than the unpacked image' },
  ),
  doc(
    'image-pull',
    'CannotPullContainerError: Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    RATE_KC,
  ),
  doc(
    'image-pull',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nginx:1.25: unexpected status from HEAD request to https://registry-1.docker.io/v2/library/nginx/manifests/1.25: 429 Too Many Requests',
    RATE_KC,
  ),
  doc(
    'network',
    'CannotPullContainerError: The task can’t pull the image. Check your network configuration. Error response from daemon: Get "https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    PULL,
  ),
  doc(
    'image-pull',
    "CannotPullContainerError: The task can’t pull the image. Check whether the image exists. Error response from daemon: pull access denied for 111122223333.dkr.ecr.us-east-1.amazonaws.com/ordres, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
    PULL,
  ),
  doc(
    'registry-auth',
    "CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to pull images from the registry. Error response from daemon: pull access denied for 111122223333.dkr.ecr.eu-west-1.amazonaws.com/billing, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::111122223333:assumed-role/billing-exec/0a1b is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:111122223333:repository/billing because no resource-based policy allows the ecr:BatchGetImage action",
    PULL,
  ),
  doc(
    'network',
    'CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: failed to do request: Get "https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/sha256:4c1d": dial tcp 10.0.12.40:443: i/o timeout',
    FARGATE_PULL_KC,
  ),
  doc(
    'network',
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest: failed to do request: Head "https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/latest": dial tcp: lookup 111122223333.dkr.ecr.us-east-1.amazonaws.com on 10.0.0.2:53: no such host',
    FARGATE_PULL_KC,
  ),
  doc(
    'container-command',
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): image Manifest does not contain descriptor matching platform 'linux/arm64'",
    PULL,
    { note: 'image built for one CPU architecture, task asks for the other' },
  ),
  // --- ResourceInitializationError page and knowledge center ----------------------------------------
  doc(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed',
    SECRETS_KC,
  ),
  doc(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 52.46.135.10:443: i/o timeout. Please check your task network configuration.',
    SECRETS_KC,
  ),
  doc(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-creds-AbCdEf from secrets manager: InvalidParameter: 1 validation error(s) found. - minimum field size of 32, GetSecretValueInput.VersionId.',
    SECRETS_KC,
  ),
  doc(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-creds-AbCdEf from secrets manager: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/4c1d is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111122223333:secret:db-creds-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action',
    SECRETS_KC,
  ),
  doc(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/4c1d is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:111122223333:parameter/prod/db-url because no identity-based policy allows the ssm:GetParameters action',
    SECRETS_KC,
  ),
  doc(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. status code: 400',
    SECRETS_KC,
  ),
  doc(
    'secrets',
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-creds-AbCdEf from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    SECRETS_KC,
  ),
  doc(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /prod/db-url,/prod/api-key',
    SECRETS_KC,
  ),
  doc(
    'registry-auth',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to get registry auth from asm: service call has been retried 1 time(s): asm fetching secret from the service for arn:aws:secretsmanager:us-east-1:111122223333:secret:dockerhub-AbCdEf: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/4c1d is not authorized to perform: secretsmanager:GetSecretValue',
    `${GUIDE}/private-auth.html`,
  ),
  doc(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to get registry auth from asm: service call has been retried 1 time(s): asm fetching secret from the service for dockerhub-creds: RequestError: send request failed caused by: Post "https://secretsmanager.us-east-1.amazonaws.com/": dial tcp 3.236.1.9:443: i/o timeout',
    `${GUIDE}/private-auth.html`,
  ),
  doc(
    'registry-auth',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/4c1d is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action',
    SECRETS_KC,
  ),
  doc(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. RequestError: send request failed caused by: Post "https://api.ecr.eu-west-1.amazonaws.com/": dial tcp 10.1.2.3:443: i/o timeout',
    INIT,
  ),
  doc(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull secrets from AWS Secrets Manager: There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration. RequestCanceled: request context canceled caused by: context deadline exceeded',
    INIT,
  ),
  doc(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull secrets from AWS Systems Manager: There is a connection issue between the task and AWS Systems Manager Parameter Store. Check your task network configuration. RequestError: send request failed',
    INIT,
  ),
  doc(
    'logging',
    'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1',
    LOGS_KC,
  ),
  doc(
    'network',
    'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "https://logs.us-east-1.amazonaws.com/": dial tcp 52.46.130.5:443: i/o timeout : exit status 1',
    LOGS_KC,
  ),
  doc('logging', 'ResourceInitializationError: failed to validate logger args: : signal: killed', LOGS_KC),
  doc(
    'logging',
    'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log group: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/4c1d is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:us-east-1:111122223333:log-group:/ecs/web:log-stream: : exit status 1',
    LOGS_KC,
  ),
  doc(
    'network',
    'ResourceInitializationError: failed to download env files: file download command: non empty error stream: RequestCanceled: request context canceled caused by: context deadline exceeded',
    INIT,
  ),
  doc(
    'secrets',
    'ResourceInitializationError: failed to download env files: file download command: non empty error stream: failed to download file app.env: failed to write to a temporary file: AccessDenied: Access Denied',
    INIT,
  ),
  doc(
    'secrets',
    'ResourceInitializationError: failed to download env files: file download command: non empty error stream: failed to download file prod.env: NoSuchKey: The specified key does not exist.',
    INIT,
  ),
  doc(
    'storage',
    'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-0123456789abcdef0.efs.us-east-1.amazonaws.com" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID. See https://docs.aws.amazon.com/console/efs/mount-dns-name for more detail. : unsuccessful EFS utils command execution; code: 1',
    EFS_KC,
  ),
  doc(
    'storage',
    'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: mount.nfs4: Connection timed out : unsuccessful EFS utils command execution; code: 32',
    EFS_KC,
  ),
  doc(
    'storage',
    "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: access denied by server while mounting 127.0.0.1:/' : unsuccessful EFS utils command execution; code: 32",
    EFS_KC,
  ),
  doc(
    'storage',
    'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-0123456789abcdef0.efs.us-east-1.amazonaws.com". The file system mount target ip address cannot be found, please pass mount target ip address via mount options. User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/4c1d is not authorized to perform: elasticfilesystem:DescribeMountTargets',
    EFS_KC,
  ),
  doc(
    'storage',
    'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Could not start amazon-efs-mount-watchdog, unrecognized init system "aws-fargate-supervisor" mount.nfs4: mounting fs-0123456789abcdef0.efs.us-east-1.amazonaws.com:/data failed, reason given by server: No such file or directory : unsuccessful EFS utils command execution; code: 32',
    EFS_KC,
  ),
  doc(
    'network',
    'ResourceInitializationError: failed to configure ENI: failed to setup regular eni: netlink: failed to get link by MAC address 0a:1b:2c:3d:4e:5f: Link not found',
    INIT,
    { note: 'wording reconstructed from the page, not verbatim' },
  ),
  doc(
    'capacity',
    'ResourceInitializationError: failed to get task resources: Capacity is unavailable at this time. Please try again later or in a different availability zone',
    INIT,
    { note: 'wording reconstructed from the page, not verbatim' },
  ),
  // --- CannotStartContainerError page --------------------------------------------------------------
  doc(
    'out-of-memory',
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: container init was OOM-killed (memory limit too low?): unknown',
    START,
  ),
  doc(
    'platform-internal',
    'CannotStartContainerError: failed to get container status: context deadline exceeded',
    START,
  ),
  doc(
    'network',
    'CannotStartContainerError: Error response from daemon: driver failed programming external connectivity on endpoint ecs-web-3-web-c2b9e8b5a1f0d3e2 (9a1f2b3c4d5e): Bind for 0.0.0.0:8080 failed: port is already allocated',
    START,
  ),
  doc(
    'task-definition',
    'CannotStartContainerError: Error response from daemon: unable to find user appuser: no matching entries in passwd file',
    START,
  ),
  doc(
    'task-definition',
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/var/lib/ecs/deps/execute-command/config/seelog.xml" to rootfs at "/ecs-execute-command-4f3a/configuration/seelog.xml": mount /var/lib/ecs/deps/execute-command/config/seelog.xml:/ecs-execute-command-4f3a/configuration/seelog.xml (via /proc/self/fd/6), flags: 0x5000: not a directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type',
    START,
  ),
  doc(
    'container-command',
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "./start.sh": stat ./start.sh: no such file or directory: unknown',
    START,
  ),
  doc(
    'container-command',
    'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "gunicorn": executable file not found in $PATH: unknown',
    START,
  ),
  doc(
    'logging',
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsInstanceRole/i-0a1b2c3d4e5f60718 is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:111122223333:log-group:/ecs/web:log-stream:ecs/web/4c1d',
    START,
  ),
  doc(
    'logging',
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.',
    START,
  ),
  // --- CannotCreateContainerError page -------------------------------------------------------------
  doc(
    'storage',
    'CannotCreateContainerError: API error (500): devmapper: Thin Pool has 4350 free data blocks which is less than minimum required 4454 free data blocks. Create more free space in thin pool or use dm.min_free_space option to change behavior',
    CREATE,
  ),
  doc(
    'storage',
    'CannotCreateContainerError: Error response from daemon: failed to mkdir /var/lib/docker/overlay2/4c1d2e3f/diff: no space left on device',
    CREATE,
  ),
  doc(
    'platform-internal',
    'CannotCreateContainerError: Error response from daemon: Conflict. The container name "/ecs-web-3-web-a8f0c1d2e3b4" is already in use by container "5f6e7d8c9b0a". You have to remove (or rename) that container to be able to reuse that name.',
    CREATE,
  ),
  doc(
    'platform-internal',
    'CannotCreateContainerError: Error response from daemon: No such image: 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:2.4.1',
    CREATE,
    { note: 'image removed by cleanup between pull and create' },
  ),
  // --- CannotInspectContainerError, timeouts --------------------------------------------------------
  doc(
    'platform-internal',
    'CannotInspectContainerError: Could not transition to inspecting; timed out after waiting 30s',
    INSPECT,
  ),
  doc('platform-internal', 'CannotInspectContainerError: context deadline exceeded', INSPECT, {
    note: 'wording reconstructed from the page, not verbatim',
  }),
  doc(
    'platform-internal',
    'DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s',
    CODES,
  ),
  doc(
    'platform-internal',
    'DockerTimeoutError: Could not transition to started; timed out after waiting 3m0s',
    CODES,
  ),
  doc(
    'platform-internal',
    'ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting 3m0s',
    CODES,
  ),
  doc(
    'platform-internal',
    'ContainerRuntimeError: failed to create container: context deadline exceeded',
    CODES,
    { note: 'wording reconstructed from the page, not verbatim' },
  ),
  doc(
    'platform-internal',
    'CannotStopContainerError: Could not transition to stopped; timed out after waiting 30s',
    CODES,
  ),
  // --- Stop codes and scheduler messages -----------------------------------------------------------
  doc('host-or-spot', 'Your Spot Task was interrupted.', SPOT, { stopCode: 'SpotInterruption' }),
  doc(
    'host-or-spot',
    'Task is stopping because ECS is performing maintenance on the underlying infrastructure hosting the task.',
    MAINTENANCE,
  ),
  doc('host-or-spot', 'Host EC2 (instance i-0a1b2c3d4e5f60718) terminated.', CODES, {
    stopCode: 'TerminationNotice',
  }),
  doc('host-or-spot', 'Host EC2 (instance i-0a1b2c3d4e5f60718) stopped.', CODES),
  doc('stopped-by-user-or-scheduler', 'Task stopped by user', CODES, { stopCode: 'UserInitiated' }),
  doc(
    'stopped-by-user-or-scheduler',
    'Scaling activity initiated by (deployment ecs-svc/7184960238541234567)',
    CODES,
    { stopCode: 'ServiceSchedulerInitiated' },
  ),
  doc(
    'health-check',
    'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web-tg/6d0ecf831eec9f09)',
    CODES,
    {
      stopCode: 'ServiceSchedulerInitiated',
    },
  ),
  doc('health-check', 'Task failed container health checks', HEALTH, {
    stopCode: 'ServiceSchedulerInitiated',
  }),
  doc('essential-container-exited', 'Essential container in task exited', CODES, {
    stopCode: 'EssentialContainerExited',
    exitCode: 1,
  }),
  doc('out-of-memory', 'Essential container in task exited', CODES, {
    stopCode: 'EssentialContainerExited',
    containerReason: 'OutOfMemoryError: Container killed due to memory usage',
    exitCode: 137,
  }),
  doc('container-command', 'Essential container in task exited', CODES, {
    stopCode: 'EssentialContainerExited',
    exitCode: 127,
  }),
  doc('network', 'Timeout waiting for network interface provisioning to complete.', CODES, {
    stopCode: 'TaskFailedToStart',
  }),
  doc(
    'network',
    'InsufficientFreeAddressesInSubnet: The specified subnet has insufficient free addresses to satisfy the request.',
    CODES,
    {
      stopCode: 'TaskFailedToStart',
    },
  ),
  doc(
    'capacity',
    'Capacity is unavailable at this time. Please try again later or in a different availability zone.',
    CODES,
    {
      stopCode: 'TaskFailedToStart',
    },
  ),
  doc('unknown', 'Task failed to start', CODES, { stopCode: 'TaskFailedToStart' }),
];
