import { HOST_INTERRUPTION_STOP_CODES } from '../ecs/lifecycle';
import type { Cause, Stage } from './structure';

/**
 * Why ECS tasks fail to start, as data. Each entry is one family of messages ECS (or the agent, Docker,
 * containerd) writes into a stopped task's `stoppedReason` or a container's `reason`, with what it
 * means and how to fix it. Entries are tried in order and the first that matches wins, so specific
 * families come before generic ones. A category names where the fix lies: a pull that times out is a
 * `network` problem, a pull refused for credentials is `registry-auth`.
 *
 * Entries match on the message's structure (structure.ts): the stage that failed and the innermost
 * cause of its chain of errors, so a new wording of a known cause lands in the same family. Patterns of
 * the text are for families that have one fixed wording.
 *
 * Adding a family: add an entry here and messages with their source to test/corpus/failed-start/.
 *
 * Templates: `{fact|fallback}` is replaced by a fact (a named capture group of the matching pattern, or
 * the failing container's `container`, `image`, `registry`, `exitCode`) or by the fallback text.
 */

export const CATEGORIES = [
  'image-pull',
  'registry-auth',
  'secrets',
  'network',
  'capacity',
  'out-of-memory',
  'container-command',
  'health-check',
  'storage',
  'logging',
  'task-definition',
  'essential-container-exited',
  'stopped-by-user-or-scheduler',
  'host-or-spot',
  'platform-internal',
  'unknown',
] as const;

export type Category = (typeof CATEGORIES)[number];

export interface CategoryInfo {
  /** Short label for subjects and dashboards. */
  label: string;
  /**
   * Whether the container process may have run, so its log stream can hold output. When it cannot
   * (the image was never pulled, secrets never fetched), the alert does not point at an empty stream.
   */
  logsLikely: boolean;
  /** Stopped on purpose (a person, a deployment): not a failure unless configured otherwise. */
  intentional: boolean;
  /** The instance went away under the task (Spot, host stop): nothing for the service to fix; ECS replaces it. */
  interruption?: boolean;
}

export const CATEGORY_INFO: Record<Category, CategoryInfo> = {
  'image-pull': { label: 'image pull failed', logsLikely: false, intentional: false },
  'registry-auth': { label: 'registry refused the pull', logsLikely: false, intentional: false },
  secrets: { label: 'secrets could not be fetched', logsLikely: false, intentional: false },
  network: { label: 'network problem', logsLikely: false, intentional: false },
  capacity: { label: 'no capacity', logsLikely: false, intentional: false },
  'out-of-memory': { label: 'out of memory', logsLikely: true, intentional: false },
  'container-command': { label: 'container command failed', logsLikely: true, intentional: false },
  'health-check': { label: 'health checks failed', logsLikely: true, intentional: false },
  storage: { label: 'storage problem', logsLikely: false, intentional: false },
  logging: { label: 'log driver failed', logsLikely: false, intentional: false },
  'task-definition': { label: 'task definition problem', logsLikely: false, intentional: false },
  'essential-container-exited': { label: 'essential container exited', logsLikely: true, intentional: false },
  'stopped-by-user-or-scheduler': { label: 'stopped on purpose', logsLikely: false, intentional: true },
  'host-or-spot': { label: 'host went away', logsLikely: false, intentional: false, interruption: true },
  'platform-internal': { label: 'ECS/Docker internal error', logsLikely: false, intentional: false },
  unknown: { label: 'unrecognised reason', logsLikely: true, intentional: false },
};

/**
 * What an entry looks for. Every field given must match (AND); within a field any item may match.
 * `reason`, `stage`, `cause` and `facts` are read from one message: a container's `reason` (each in
 * turn), then the task's `stoppedReason`.
 */
export interface MessageMatch {
  /** Patterns of the message. */
  reason?: readonly RegExp[];
  /** Where the start failed, read from the message's structure (structure.ts). */
  stage?: readonly Stage[];
  /** The innermost cause of the message's chain of errors (structure.ts). */
  cause?: readonly Cause[];
  /** Patterns that only name things (named groups become facts); they never decide a match. */
  facts?: readonly RegExp[];
  /** Tested against the task's `stoppedReason` only. */
  stoppedReason?: readonly RegExp[];
  /** Any container exited with one of these codes. */
  exitCodes?: readonly number[];
  /** The task's stopCode is one of these. */
  stopCodes?: readonly string[];
}

export interface TaxonomyEntry {
  /** Stable identifier of the message family (appears in alerts and metrics logs). */
  id: string;
  category: Category;
  match: MessageMatch;
  /** A few words, for subjects: "Image not found". */
  title: string;
  /** One line: what failed, naming the image, secret, subnet when known. */
  summary: string;
  /** The likely cause, in plain words. */
  cause: string;
  /** What to do about it. */
  remedy: string;
  /** The AWS page that explains it. */
  docsUrl: string;
}

const DOCS = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide';
export const DOCS_URLS = {
  cannotPull: `${DOCS}/task_cannot_pull_image.html`,
  fargatePull: 'https://repost.aws/knowledge-center/ecs-fargate-pull-container-error',
  rateLimit: 'https://repost.aws/knowledge-center/ecs-pull-container-error-rate-limit',
  privateAuth: `${DOCS}/private-auth.html`,
  executionRole: `${DOCS}/task_execution_IAM_role.html`,
  resourceInit: `${DOCS}/resource-initialization-error.html`,
  cannotStart: `${DOCS}/cannot-start-container.html`,
  cannotInspect: `${DOCS}/cannot-inspect-container.html`,
  cannotCreate: `${DOCS}/CannotCreateContainerError.html`,
  stoppedErrorCodes: `${DOCS}/stopped-task-error-codes.html`,
  stoppedErrors: `${DOCS}/stopped-task-errors.html`,
  failedToStart: `${DOCS}/failed-to-start-error.html`,
  memory: `${DOCS}/memory-management.html`,
  arm64: `${DOCS}/ecs-arm64.html`,
  loadBalancers: `${DOCS}/troubleshoot-service-load-balancers.html`,
  healthCheck: `${DOCS}/task_definition_parameters.html#container_definition_healthcheck`,
  efs: `${DOCS}/efs-volumes.html`,
  awslogs: `${DOCS}/using_awslogs.html`,
  eni: `${DOCS}/container-instance-eni.html`,
  fargateSpot: `${DOCS}/fargate-capacity-providers.html`,
  spotInstances: `${DOCS}/container-instance-spot.html`,
  taskStopped: 'https://repost.aws/knowledge-center/ecs-task-stopped',
  envFiles: `${DOCS}/use-environment-file.html`,
  maintenance: `${DOCS}/task-maintenance.html`,
} as const;

// Message families in the order they are tried: causes that say everything first, then each stage
// with its root causes, then the stage alone; stops and exits last.
export const TAXONOMY: readonly TaxonomyEntry[] = [
  // --- Messages that name the cause outright -----------------------------------------------------------
  {
    id: 'fargate-capacity-unavailable',
    category: 'capacity',
    match: { reason: [/Capacity is unavailable at this time/i] },
    title: 'No Fargate capacity',
    summary: 'Fargate had no capacity for this task size in the chosen Availability Zone.',
    cause: 'AWS ran short of capacity for the requested CPU, memory or architecture in that zone.',
    remedy:
      'Spread the service over subnets in several Availability Zones; for Fargate Spot add an on-demand FARGATE capacity provider as fallback; retries usually succeed later.',
    docsUrl: DOCS_URLS.failedToStart,
  },
  {
    id: 'subnet-out-of-addresses',
    category: 'network',
    match: {
      reason: [
        /InsufficientFreeAddressesInSubnet/i,
        /(?:not|n.t) (?:have )?(?:enough|sufficient) free (?:IPv4 )?addresses/i,
        /insufficient free addresses/i,
      ],
    },
    title: 'Subnet out of IP addresses',
    summary: 'Subnet {subnet|of the task} has no free IP address for the task network interface.',
    cause: 'Every awsvpc task needs its own IP address; the subnet is full.',
    remedy:
      'Add larger or more subnets to the service network configuration, free addresses, or (EC2) enable ENI trunking to raise per-instance limits.',
    docsUrl: DOCS_URLS.eni,
  },
  {
    id: 'eni-provisioning-timeout',
    category: 'network',
    match: {
      reason: [
        /Timeout waiting for network interface provisioning to complete/i,
        /ENI attachment (?:timeout|timed out)/i,
      ],
    },
    title: 'Network interface not ready',
    summary: 'The network interface of the task was not ready in time.',
    cause:
      'ECS attached an ENI for the awsvpc task but it did not come up on the host within the deadline; often an unhealthy instance or EC2 API throttling.',
    remedy:
      'Usually transient: the scheduler retries. If it repeats on one instance, drain and replace it; check EC2 network interface quotas and API throttling.',
    docsUrl: DOCS_URLS.eni,
  },
  {
    id: 'oom-killed',
    category: 'out-of-memory',
    match: { cause: ['out-of-memory'] },
    title: 'Out of memory',
    summary: 'The container {container|} was killed for using more memory than its limit.',
    cause:
      'The process needs more memory than the container or task memory limit allows (at start-up, or under load).',
    remedy:
      'Raise memory (container `memory` / task memory) in the task definition, or make the application use less (e.g. size the JVM heap below the limit).',
    docsUrl: DOCS_URLS.memory,
  },
  {
    id: 'host-disk-full',
    category: 'storage',
    match: { cause: ['disk-full'] },
    title: 'Host disk full',
    summary: 'The container instance ran out of disk space while preparing {image|the image}.',
    cause: 'The Docker volume of the host is full of images, stopped containers or container logs.',
    remedy:
      'Replace or clean the instance; lower ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION, enable image cleanup, use a bigger data volume and cap json-file logs (or use awslogs).',
    docsUrl: DOCS_URLS.cannotCreate,
  },
  {
    id: 'image-platform-missing',
    // Filed with exec format error: the same fix (build for the task's platform), found at pull time.
    category: 'container-command',
    match: {
      cause: ['platform-missing'],
      facts: [
        /platform '?(?<platform>[\w/.-]+)'?/i,
        /manifest for (?<platform>[\w/.-]+) in the manifest list/i,
      ],
    },
    title: 'Image not built for this platform',
    summary:
      'Image {image|of the container} has no variant for {platform|the CPU architecture and OS of the task}.',
    cause:
      'The image was built (or pushed) for another CPU architecture or OS than the task runs on: an ARM64-only image on x86_64 capacity, or the other way round.',
    remedy:
      'Push a multi-architecture image (`docker buildx build --platform linux/amd64,linux/arm64`), or set runtimePlatform in the task definition (and the capacity) to match the image.',
    docsUrl: DOCS_URLS.arm64,
  },
  {
    id: 'exec-format-error',
    category: 'container-command',
    match: { cause: ['wrong-architecture'], facts: [/exec (?<command>\/\S+): exec format error/i] },
    title: 'Wrong CPU architecture',
    summary: 'The entrypoint {command|of {container|the container}} was built for another CPU architecture.',
    cause:
      'The image was built for ARM64 (e.g. on an Apple silicon laptop) but runs on x86_64, or the other way round.',
    remedy:
      'Build the image for the platform the task runs on (`docker buildx build --platform linux/amd64`) or set runtimePlatform.cpuArchitecture in the task definition to match the image.',
    docsUrl: DOCS_URLS.arm64,
  },
  {
    id: 'entrypoint-permission-denied',
    category: 'container-command',
    match: {
      cause: ['command-not-executable'],
      facts: [/exec:? "?(?<command>[^":\s]+)"?: permission denied/i],
    },
    title: 'Command not executable',
    summary: 'The container {container|} could not run its command {command|}: permission denied.',
    cause:
      'The file named by entryPoint or command is not executable in the image (no execute bit), or a volume mounted over it is noexec.',
    remedy:
      'Make it executable in the image (`RUN chmod +x <file>` in the Dockerfile) or run it through its interpreter (["sh","/app/start.sh"]); check no volume is mounted over it.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  {
    id: 'entrypoint-not-found',
    category: 'container-command',
    match: {
      cause: ['command-missing'],
      facts: [/exec: "?(?<command>[^":]+)"?: (?:executable file not found in \$PATH|stat )/i],
    },
    title: 'Command not found',
    summary:
      'The container {container|} could not run its command {command|}: it does not exist in the image.',
    cause:
      'The entryPoint or command names a file that is not in the image (or is hidden by a mounted volume), or the whole command line was given as one string so it is taken as a single file name.',
    remedy:
      'Fix entryPoint/command in the task definition: give each argument as its own list item (["node","index.js"]), check the path exists in the image, and that no volume is mounted over it.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  {
    id: 'user-not-in-image',
    category: 'task-definition',
    match: { cause: ['user-missing'], facts: [/unable to find user (?<user>[^\s:]+)/i] },
    title: 'User not in the image',
    summary:
      'The container {container|} could not start: user {user|named in the task definition} does not exist in the image.',
    cause:
      "The task definition (or the image) names a user that is not in the image's /etc/passwd; a name must exist there, a numeric UID need not.",
    remedy:
      'Set `user` in the container definition to a user the image has, or a numeric UID[:GID] (e.g. "1000:1000"), or add the user in the Dockerfile.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  {
    id: 'mount-into-rootfs',
    category: 'task-definition',
    match: { cause: ['mount-into-rootfs'], facts: [/to rootfs at \\*"?(?<mountPath>\/[^"\\\s:]+)/i] },
    title: 'Volume could not be mounted',
    summary:
      'The container {container|} could not start: a volume or file could not be mounted at {mountPath|its path in the container}.',
    cause:
      "The runtime could not mount a volume into the container's file system: a file mounted over a directory (or the other way round), a host path that does not exist, or a path in the image that cannot be created.",
    remedy:
      'Check volumes and mountPoints in the task definition: the host sourcePath must exist with the same type (file or directory) as the containerPath in the image, and the containerPath must not sit under a read-only or missing directory.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  {
    id: 'host-port-in-use',
    category: 'network',
    match: {
      cause: ['port-in-use'],
      facts: [/Bind for (?<port>[\d.:[\]]+) failed/i, /listen tcp4? (?<port>[\d.:[\]]+): bind/i],
    },
    title: 'Host port already in use',
    summary:
      'The container {container|} could not start: host port {port|of its port mapping} is already in use on the instance.',
    cause:
      'Docker could not program the port mapping: another container or a process on the instance already holds that host port (a static hostPort with two tasks on one instance, or a leftover container).',
    remedy:
      'Use dynamic host ports (hostPort 0, or awsvpc network mode) so tasks never compete for a port; with a static port, run one task per instance (distinctInstance placement) and check nothing else on the instance listens there.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  {
    id: 'device-not-on-host',
    category: 'task-definition',
    match: {
      cause: ['device-missing'],
      facts: [/error gathering device information while adding custom device "(?<device>[^"]+)"/i],
    },
    title: 'Device missing on host',
    summary: 'The task definition asks for device {device|} that the instance does not have.',
    cause: 'linuxParameters.devices lists a host device that this instance type does not provide.',
    remedy:
      'Remove or fix the device in the task definition, or constrain placement to instance types that have it.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  {
    id: 'invalid-mount',
    category: 'task-definition',
    match: { reason: [/HostConfigError/i, /Unable to resolve volume mounts/i, /invalid mount config/i] },
    title: 'Invalid volume mount',
    summary: 'A mount point of the task definition is invalid.',
    cause:
      'A mountPoint refers to a volume that is not defined, or a host volume has no or an invalid source path.',
    remedy:
      'Fix volumes and mountPoints in the task definition so every sourceVolume exists with a valid host path.',
    docsUrl: DOCS_URLS.stoppedErrorCodes,
  },
  {
    id: 'container-settings-rejected',
    category: 'task-definition',
    match: { cause: ['container-config'] },
    title: 'Container settings rejected',
    summary:
      'The container {container|} could not start: the runtime rejected a setting of its container definition.',
    cause:
      'A value in the container definition cannot be applied: a ulimit above what the host allows, a workingDirectory missing from the image, a memory limit below the runtime minimum, or an invalid image reference.',
    remedy:
      'Read the reason below for the setting at fault and fix it in the task definition (ulimits, workingDirectory, memory, image), then deploy a new revision.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  // --- Registry login and secrets, fetched before the containers start ---------------------------------
  {
    id: 'secrets-unreachable',
    category: 'network',
    match: {
      stage: ['registry-auth', 'secrets'],
      cause: ['unreachable'],
      facts: [/retrieve secrets? from (?<store>asm|ssm)/i],
    },
    title: 'Cannot reach AWS APIs',
    summary:
      'The task could not reach {storeName|Secrets Manager, SSM or ECR} to fetch its secrets or registry login before starting.',
    cause:
      'The task has no network path to the AWS APIs: a private subnet without a NAT gateway or VPC endpoints, a public subnet without a public IP, or a security group or NACL that blocks outbound HTTPS.',
    remedy:
      'Give the subnets a route to the internet (NAT gateway, or a public IP in a public subnet) or create VPC endpoints for secretsmanager, ssm, ecr.api, ecr.dkr and an S3 gateway endpoint; allow outbound 443.',
    docsUrl: DOCS_URLS.resourceInit,
  },
  {
    id: 'registry-rate-limited',
    category: 'image-pull',
    match: { cause: ['rate-limited'], stage: ['pull', 'registry-auth'] },
    title: 'Registry rate limit',
    summary: '{registry|The registry} refused to serve {image|the image}: too many pulls.',
    cause:
      'Anonymous Docker Hub pulls are limited per IP (a NAT gateway shares one IP across all tasks); public registries and ECR also throttle bursts of pulls.',
    remedy:
      'Pull through an ECR pull-through cache or copy the image to ECR; or authenticate to Docker Hub with repositoryCredentials. Spread large scale-outs over time.',
    docsUrl: DOCS_URLS.rateLimit,
  },
  {
    id: 'registry-auth-fetch-denied',
    category: 'registry-auth',
    match: { stage: ['registry-auth'], cause: ['denied', 'kms'], reason: [/ecr|GetAuthorizationToken/i] },
    title: 'ECR login denied',
    summary: 'ECS could not get an ECR login token for {image|the image}.',
    cause: 'The task execution role may not call ecr:GetAuthorizationToken.',
    remedy: 'Allow ecr:GetAuthorizationToken on resource "*" in the task execution role.',
    docsUrl: DOCS_URLS.executionRole,
  },
  {
    id: 'registry-credentials-rejected',
    category: 'registry-auth',
    match: {
      reason: [
        /incorrect username or password/i,
        /no basic auth credentials/i,
        /unauthorized: authentication required/i,
        /asm fetching secret from the service for (?<secret>\S+)/i,
        /asm fetching (?:authorization data|username|password)/i,
        /CannotPullContainerAuthError/i,
      ],
    },
    title: 'Registry rejected the credentials',
    summary: '{registry|The registry} rejected the credentials used to pull {image|the image}.',
    cause:
      'The private registry credentials (repositoryCredentials secret) are missing, wrong or expired, or the pull went to ECR without a login.',
    remedy:
      'Check the Secrets Manager secret named in repositoryCredentials holds valid "username" and "password" keys and that the execution role can read it; for ECR images use the full registry URI.',
    docsUrl: DOCS_URLS.privateAuth,
  },
  {
    id: 'registry-login-failed',
    category: 'registry-auth',
    match: { stage: ['registry-auth'] },
    title: 'Registry login failed',
    summary:
      'ECS could not get the login for {registry|the registry} of {image|the image} before pulling it.',
    cause:
      'Getting the registry login failed: an ECR authorization token, or the private registry credentials (repositoryCredentials) read from Secrets Manager with the task execution role.',
    remedy:
      'For ECR, allow ecr:GetAuthorizationToken in the execution role; for a private registry, check the repositoryCredentials secret exists, holds "username" and "password", and the execution role may read it (and decrypt it).',
    docsUrl: DOCS_URLS.privateAuth,
  },
  {
    id: 'env-file-unreadable',
    category: 'secrets',
    match: {
      stage: ['secrets'],
      reason: [/env ?files?\b|envfile|environment ?file/i],
      facts: [
        /download (?:env )?file (?:with key )?(?<envFile>[^\s:,]+)/i,
        /from bucket (?<bucket>[^\s,]+)/i,
      ],
    },
    title: 'Environment file not readable',
    summary:
      'ECS could not read environment file {envFile|of the task} from Amazon S3{bucket| before starting it}.',
    cause:
      'The environmentFiles object is missing (wrong bucket, key or Region) or the task execution role may not read it (s3:GetObject, s3:GetBucketLocation, or kms:Decrypt for an SSE-KMS bucket).',
    remedy:
      'Check the S3 ARN in environmentFiles, and grant the execution role s3:GetObject on the object and s3:GetBucketLocation on the bucket (plus kms:Decrypt for a KMS-encrypted bucket).',
    docsUrl: DOCS_URLS.envFiles,
  },
  {
    id: 'secret-kms-denied',
    category: 'secrets',
    match: {
      stage: ['secrets'],
      cause: ['kms'],
      facts: [/fetch secret (?<secret>\S+) from secrets manager/i],
    },
    title: 'KMS key not usable',
    summary: 'The task could not decrypt secret {secret|of the task definition}: KMS denied access.',
    cause:
      'The secret is encrypted with a customer managed KMS key that the task execution role may not use.',
    remedy:
      'Allow kms:Decrypt on that key for the task execution role (in the role policy and the key policy).',
    docsUrl: DOCS_URLS.resourceInit,
  },
  {
    id: 'secret-access-denied',
    category: 'secrets',
    match: {
      stage: ['secrets'],
      cause: ['denied'],
      facts: [
        /fetch secret (?<secret>\S+) from secrets manager/i,
        /retrieve secrets? from (?<store>asm|ssm)/i,
        /on resource: (?<secret>arn:\S+)/i,
      ],
    },
    title: 'No permission to read secrets',
    summary: 'The task may not read secret {secret|from {storeName|Secrets Manager or SSM}}.',
    cause: 'The task execution role lacks secretsmanager:GetSecretValue or ssm:GetParameters on the secret.',
    remedy:
      'Grant the execution role secretsmanager:GetSecretValue (Secrets Manager) or ssm:GetParameters (Parameter Store) on the secret ARN, and kms:Decrypt if it uses a customer managed key.',
    docsUrl: DOCS_URLS.executionRole,
  },
  {
    id: 'secret-not-found',
    category: 'secrets',
    match: {
      stage: ['secrets'],
      cause: ['not-found'],
      facts: [
        /can.t retrieve the secret with ARN '?(?<secret>[^'\s]+)'?\s*from AWS Secrets Manager/i,
        /invalid parameters?: (?<secret>[^\s,]+)/i,
        /fetch secret (?<secret>\S+) from secrets manager/i,
      ],
    },
    title: 'Secret not found',
    summary: 'Secret {secret|named in the task definition} does not exist.',
    cause:
      'The secret ARN or parameter name in the task definition is wrong, in another Region, or the secret was deleted.',
    remedy:
      'Fix the valueFrom ARN in the task definition (full ARN, right Region and account) or create the secret, then deploy a new revision.',
    docsUrl: DOCS_URLS.resourceInit,
  },
  {
    id: 'secrets-fetch-failed',
    category: 'secrets',
    match: { stage: ['secrets'], facts: [/retrieve secrets? from (?<store>asm|ssm)/i] },
    title: 'Secrets could not be fetched',
    summary:
      'ECS could not fetch the secrets or registry login of the task from {storeName|Secrets Manager or SSM} before starting it.',
    cause:
      'Usually either no network path to the AWS APIs (private subnet without NAT or VPC endpoints) or the task execution role lacks permission on a secret.',
    remedy:
      'Check the execution role can read every secret in the task definition, and that the subnets reach Secrets Manager, SSM and ECR (NAT gateway or VPC endpoints).',
    docsUrl: DOCS_URLS.resourceInit,
  },
  // --- Image pulls -------------------------------------------------------------------------------------
  {
    id: 'registry-unreachable',
    category: 'network',
    match: { stage: ['pull'], cause: ['unreachable'] },
    title: 'Cannot reach the registry',
    summary: 'The task could not reach {registry|the registry} to pull {image|its image}.',
    cause:
      'No network path from the task to the registry: a private subnet without a NAT gateway or ECR VPC endpoints, a public subnet without a public IP, or outbound HTTPS blocked.',
    remedy:
      'For private subnets add a NAT gateway route or VPC endpoints (ecr.api, ecr.dkr and an S3 gateway endpoint for ECR); for public subnets assign a public IP; allow outbound 443 in the security group.',
    docsUrl: DOCS_URLS.fargatePull,
  },
  {
    id: 'image-missing-agent-hint',
    category: 'image-pull',
    match: { reason: [/Check whether the image exists/i] },
    title: 'Image not found',
    summary: 'Image {image|of the container} does not exist or the name is wrong.',
    cause:
      'The repository or tag named in the task definition is not in the registry (a typo, or it was never pushed).',
    remedy:
      'Push the image or fix the image URI in the task definition, then deploy a new revision. `aws ecr describe-images` shows what the repository holds.',
    docsUrl: DOCS_URLS.cannotPull,
  },
  {
    id: 'ecr-pull-not-authorized',
    category: 'registry-auth',
    match: {
      reason: [
        /not authorized to perform: (?<action>ecr:\w+)/i,
        /Check that the role has the permissions to pull images/i,
      ],
    },
    title: 'No permission to pull from ECR',
    summary: 'The task is not allowed to pull {image|its image} from Amazon ECR.',
    cause:
      'The task execution role {principal|} lacks {action|ecr:BatchGetImage} on the repository, or the repository policy does not allow this account.',
    remedy:
      'Attach AmazonECSTaskExecutionRolePolicy (or ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer) to the execution role; for a repository in another account, allow this account in the repository policy.',
    docsUrl: DOCS_URLS.executionRole,
  },
  {
    id: 'pull-access-denied',
    category: 'registry-auth',
    match: {
      stage: ['pull'],
      cause: ['denied', 'kms'],
      facts: [/pull access denied for (?<image>[^\s,]+)/i],
    },
    title: 'Registry denied the pull',
    summary: '{registry|The registry} denied access to {image|the image}.',
    cause:
      'The repository does not exist under that name, or it is private and the task has no permission or credentials for it. Docker Hub answers "access denied" for names that do not exist.',
    remedy:
      'Check the image name first (registry, repository, tag). If it is right and private: for ECR grant the execution role pull permissions (and the repository policy for cross-account); for other registries set repositoryCredentials.',
    docsUrl: DOCS_URLS.cannotPull,
  },
  {
    id: 'image-not-found',
    category: 'image-pull',
    match: {
      stage: ['pull'],
      cause: ['not-found'],
      facts: [
        /manifest for (?<image>\S+) not found/i,
        /failed to resolve ref "?(?<image>[^\s"]+?)"?: (?:\S+: )?not found/i,
        /Tag (?<tag>\S+) not found in repository (?<image>\S+)/i,
        /repository (?<image>\S+) not found/i,
        /image (?<image>\S+) not found/i,
      ],
    },
    title: 'Image not found',
    summary: 'Image {image|of the container} was not found in {registry|the registry}.',
    cause:
      'The repository or tag in the task definition does not exist: a typo, an unpushed build, or a tag removed by a lifecycle policy.',
    remedy:
      'Push the image or fix the image URI in the task definition and deploy a new revision; protect tags in use from ECR lifecycle rules.',
    docsUrl: DOCS_URLS.cannotPull,
  },
  {
    id: 'image-pull-failed',
    category: 'image-pull',
    match: { stage: ['pull'] },
    title: 'Image pull failed',
    summary: 'ECS could not pull {image|the image of the container}.',
    cause:
      'The registry refused or failed the pull; the message does not say which (network, permissions or a missing tag).',
    remedy:
      'Check the image exists, the execution role can pull it, and the subnets reach the registry (NAT gateway or VPC endpoints).',
    docsUrl: DOCS_URLS.cannotPull,
  },
  // --- Task networking ---------------------------------------------------------------------------------
  {
    id: 'task-network-setup-failed',
    category: 'network',
    match: { stage: ['network-setup'] },
    title: 'Task network could not be set up',
    summary:
      'ECS could not set up the network of the task (its network interface or namespace) before starting it.',
    cause:
      "Attaching or configuring the task's network interface failed on the instance: the ENI did not appear, a CNI plugin failed, or the namespace could not be created. Often an unhealthy instance, ENI limits, or an agent and its CNI plugins out of step.",
    remedy:
      'Usually transient: the scheduler retries. If it repeats on one instance, drain and replace it; check the instance ENI limits (or enable ENI trunking) and keep the ECS agent up to date.',
    docsUrl: DOCS_URLS.eni,
  },
  // --- Volumes -----------------------------------------------------------------------------------------
  {
    id: 'efs-mount-failed',
    category: 'storage',
    match: {
      stage: ['volume'],
      reason: [/EFS|mount\.nfs|elasticfilesystem|\bfs-[0-9a-f]{8,17}\b/i],
      facts: [/(?<fileSystem>fs-[0-9a-f]{8,17})/i],
    },
    title: 'EFS mount failed',
    summary: 'The task could not mount EFS file system {fileSystem|of its volume}.',
    cause:
      'No route or security group rule to the mount target on NFS (TCP 2049), DNS resolution of the file system off in the VPC, a missing access point path, or missing IAM permission for EFS authorization.',
    remedy:
      'Allow TCP 2049 from the task security group to the mount targets, create a mount target in each task subnet AZ, enable DNS hostnames in the VPC, and check the access point root directory exists.',
    docsUrl: DOCS_URLS.efs,
  },
  {
    id: 'volume-create-failed',
    category: 'storage',
    match: { stage: ['volume'] },
    title: 'Volume could not be created',
    summary: 'A volume of the task could not be created or mounted.',
    cause:
      'The volume driver or the host failed to prepare the volume (plugin not ready, copy of image contents failed).',
    remedy:
      'Check the volume configuration and driver on the host; if it is transient the scheduler retries. Replace the instance if it keeps failing there.',
    docsUrl: DOCS_URLS.stoppedErrorCodes,
  },
  // --- Log drivers -------------------------------------------------------------------------------------
  {
    id: 'log-driver-unreachable',
    category: 'network',
    match: {
      stage: ['logging'],
      cause: ['unreachable'],
      reason: [
        /amazonaws\.com|RequestError|RequestCanceled|send request failed|request cancell?ed|connection issue between the task and/i,
      ],
    },
    title: 'Cannot reach CloudWatch Logs',
    summary: 'The container {container|} could not start: its log driver could not reach CloudWatch Logs.',
    cause:
      'No network path from the task (or instance) to logs.<region>.amazonaws.com: a private subnet without a NAT gateway or a CloudWatch Logs VPC endpoint, or outbound HTTPS blocked.',
    remedy:
      'Add a route to the internet (NAT gateway) or an interface VPC endpoint for logs, and allow outbound 443 from the task security group.',
    docsUrl: DOCS_URLS.awslogs,
  },
  {
    id: 'log-group-missing',
    category: 'logging',
    match: { stage: ['logging'], reason: [/ResourceNotFoundException|log group does not exist/i] },
    title: 'Log group missing',
    summary:
      'The container {container|} could not start: its CloudWatch log group {logGroup|} does not exist.',
    cause: 'The awslogs log driver writes to a log group that was never created (or was deleted).',
    remedy:
      'Create the log group named in awslogs-group (same Region), or set awslogs-create-group to "true" and allow logs:CreateLogGroup in the execution role.',
    docsUrl: DOCS_URLS.awslogs,
  },
  {
    id: 'log-driver-denied',
    category: 'logging',
    match: { stage: ['logging'], cause: ['denied', 'kms'] },
    title: 'No permission to write logs',
    summary: 'The container {container|} could not start: the log driver may not write to CloudWatch Logs.',
    cause:
      'The role the log driver uses (task execution role on Fargate, instance role on EC2) lacks logs:CreateLogStream / logs:PutLogEvents (or logs:CreateLogGroup with awslogs-create-group).',
    remedy:
      'Grant logs:CreateLogStream and logs:PutLogEvents on the log group (plus logs:CreateLogGroup if awslogs-create-group is set) to the execution role or instance role.',
    docsUrl: DOCS_URLS.awslogs,
  },
  {
    id: 'log-driver-failed',
    category: 'logging',
    match: { stage: ['logging'] },
    title: 'Log driver failed',
    summary: 'The container {container|} could not start: its log driver failed to initialise.',
    cause:
      'The logConfiguration options are invalid (wrong awslogs-region, group name) or CloudWatch Logs is unreachable.',
    remedy:
      'Check logConfiguration options in the task definition and that the task can reach logs.<region>.amazonaws.com.',
    docsUrl: DOCS_URLS.awslogs,
  },
  // --- Health checks -----------------------------------------------------------------------------------
  {
    id: 'elb-health-check',
    category: 'health-check',
    match: {
      reason: [
        /Task failed (?:ELB|Elastic Load Balancing) health checks in \((?:target-group (?<targetGroup>[^)\s]+)|elb (?<loadBalancer>[^)\s]+))/i,
        /failed (?:ELB|Elastic Load Balancing|load balancer) health checks/i,
      ],
    },
    title: 'Load balancer health checks failed',
    summary:
      'The task failed the load balancer health checks of {targetGroup|{loadBalancer|its target group}}.',
    cause:
      'The application did not answer the health check path in time: too slow to start for the grace period, wrong port or path, or the security group blocks the load balancer.',
    remedy:
      'Raise healthCheckGracePeriodSeconds on the service, check the target group health check path, port and success codes, and allow the load balancer security group into the container port.',
    docsUrl: DOCS_URLS.loadBalancers,
  },
  {
    id: 'container-health-check',
    category: 'health-check',
    match: { reason: [/failed container health checks/i] },
    title: 'Container health check failed',
    summary: 'An essential container of the task reported UNHEALTHY.',
    cause:
      'The healthCheck command in the task definition kept failing (app not ready within startPeriod, or the check itself is wrong).',
    remedy:
      'Run the health check command by hand in the image, raise startPeriod/retries, and check tools it uses (curl) exist in the image.',
    docsUrl: DOCS_URLS.healthCheck,
  },
  {
    id: 'dependency-not-healthy',
    category: 'health-check',
    match: {
      reason: [
        /container ordering dependency \[(?<dependency>[^\]]+)\] for target \[[^\]]+\] has timed out/i,
      ],
    },
    title: 'Dependency did not become ready',
    summary:
      'The container {container|} did not start: the container it depends on ({dependency|dependsOn}) did not reach its condition in time.',
    cause:
      "A dependsOn condition (START, HEALTHY, COMPLETE, SUCCESS) of the task definition was not met within the container's startTimeout: the dependency is slow or its health check keeps failing.",
    remedy: "Check the dependency container's log and health check; raise startTimeout if it needs longer.",
    docsUrl: DOCS_URLS.healthCheck,
  },
  {
    id: 'dependency-exited',
    category: 'essential-container-exited',
    match: {
      reason: [
        /container ordering dependency \[(?<dependency>[^\]]+)\] for target \[[^\]]+\] as dependency did not exit successfully/i,
        /dependency (?:on containers )?will never start/i,
      ],
    },
    title: 'Dependency container failed',
    summary:
      'The container {container|} did not start: the container it depends on ({dependency|dependsOn}) exited with an error.',
    cause:
      'A container the task definition orders before this one (dependsOn with SUCCESS or COMPLETE) failed, so this one was never started.',
    remedy: 'Read the log of the dependency container for why it exited non-zero.',
    docsUrl: DOCS_URLS.taskStopped,
  },
  // --- Container runtime -------------------------------------------------------------------------------
  {
    id: 'docker-timeout',
    category: 'platform-internal',
    match: {
      stage: ['runtime'],
      facts: [/Could not transition to (?<transition>\w+); timed out after waiting (?<timeout>\S+)/i],
    },
    title: 'Container runtime timed out',
    summary: 'Docker on the instance did not answer in time ({transition|inspecting} timed out).',
    cause:
      'The container runtime is overloaded: heavy disk I/O (exhausted EBS burst credits), too many containers, or a stuck daemon.',
    remedy:
      'Look at the instance: EBS burst balance and IOPS, CPU; use faster volumes or fewer tasks per instance; replace the instance if Docker is stuck.',
    docsUrl: DOCS_URLS.cannotInspect,
  },
  {
    id: 'container-create-failed',
    category: 'platform-internal',
    match: { stage: ['create'] },
    title: 'Container could not be created',
    summary: 'Docker could not create the container {container|}.',
    cause: 'The container runtime failed while creating the container (layer extraction, storage driver).',
    remedy: 'Usually transient; if it repeats on one instance, drain and replace it.',
    docsUrl: DOCS_URLS.cannotCreate,
  },
  {
    id: 'container-start-failed',
    category: 'platform-internal',
    match: { stage: ['start', 'resource-init'] },
    title: 'Container could not start',
    summary: 'ECS could not start the container {container|}.',
    cause: 'The container runtime refused to start the container; the message gives the runtime error.',
    remedy:
      'Read the full reason below; check the task definition (entryPoint, mounts, devices, ulimits) against the image.',
    docsUrl: DOCS_URLS.cannotStart,
  },
  {
    id: 'ecs-internal-error',
    category: 'platform-internal',
    match: { reason: [/\binternal (?:server )?error\b/i] },
    title: 'ECS internal error',
    summary: 'ECS could not start the task because of an internal error.',
    cause: 'Amazon ECS or the container runtime failed on its side; the message gives no cause in the task.',
    remedy:
      'Usually transient: the scheduler retries. If it persists, check the AWS Health Dashboard and open a support case with the task ID.',
    docsUrl: DOCS_URLS.stoppedErrorCodes,
  },

  // --- Host, Spot, and stops on purpose ----------------------------------------------------------------
  {
    id: 'host-stopped',
    category: 'host-or-spot',
    match: { reason: [/Host EC2 \(instance (?<instance>[^)\s]+)\) (?:stopped|terminated)/i] },
    title: 'Host instance went away',
    summary: 'Instance {instance|of the task} was stopped or terminated before the task could run.',
    cause:
      'The EC2 instance was stopped, terminated, scaled in or reclaimed while the task was starting on it.',
    remedy:
      'Nothing to fix in the task; the service places a replacement. If it happens often, check scale-in (drain instances before terminating) and Spot interruptions.',
    docsUrl: DOCS_URLS.stoppedErrors,
  },
  {
    id: 'infrastructure-maintenance',
    category: 'host-or-spot',
    match: {
      reason: [
        /performing maintenance on the underlying infrastructure/i,
        /task (?:is being |was )?retired/i,
        /scheduled for retirement/i,
      ],
    },
    title: 'Fargate maintenance',
    summary: 'ECS stopped the task to maintain the infrastructure hosting it.',
    cause: 'AWS retired the underlying Fargate host (patching or hardware retirement).',
    remedy:
      'Nothing to fix in the task; a service places a replacement. Run several tasks across zones so a retirement does not cause an outage.',
    docsUrl: DOCS_URLS.maintenance,
  },
  {
    id: 'spot-interruption',
    category: 'host-or-spot',
    match: { reason: [/Your Spot Task was interrupted/i, /Spot (?:Instance )?interruption/i] },
    title: 'Spot interruption',
    summary: 'The task was interrupted by a Spot capacity reclaim before it could run.',
    cause: 'AWS took the Spot capacity back.',
    remedy:
      'Expected with Spot. Mix in on-demand capacity in the capacity provider strategy for tasks that must start.',
    docsUrl: DOCS_URLS.fargateSpot,
  },
  {
    id: 'spot-stop-code',
    category: 'host-or-spot',
    match: { stopCodes: HOST_INTERRUPTION_STOP_CODES },
    title: 'Capacity reclaimed',
    summary: 'The task was stopped because its capacity was reclaimed ({stopCode|Spot}).',
    cause:
      'AWS took the Spot capacity back, the host is being terminated, or its infrastructure failed a health check.',
    remedy:
      'Expected with Spot. Mix in on-demand capacity for tasks that must start; drain instances before terminating them.',
    docsUrl: DOCS_URLS.spotInstances,
  },
  {
    id: 'scaled-in-by-scheduler',
    category: 'stopped-by-user-or-scheduler',
    match: { reason: [/Scaling activity initiated by \((?:deployment (?<deployment>[^)\s]+))?/i] },
    title: 'Stopped by the service scheduler',
    summary: 'The service scheduler stopped the task before it ran (scale-in or deployment {deployment|}).',
    cause: 'The desired count went down or a deployment replaced pending tasks.',
    remedy: 'Nothing to fix.',
    docsUrl: DOCS_URLS.stoppedErrors,
  },
  {
    id: 'stopped-by-user',
    category: 'stopped-by-user-or-scheduler',
    match: {
      reason: [
        /Task stopped by user/i,
        /^Stopped by user/i,
        /Container instance deregistration forced by user/i,
      ],
    },
    title: 'Stopped by a user',
    summary: 'Someone (or a tool) stopped the task before it ran.',
    cause: 'StopTask was called, or the container instance was deregistered with force.',
    remedy: 'Nothing to fix unless the stop was unexpected: CloudTrail shows who called StopTask.',
    docsUrl: DOCS_URLS.stoppedErrors,
  },
  {
    id: 'user-stop-code',
    category: 'stopped-by-user-or-scheduler',
    match: { stopCodes: ['UserInitiated'] },
    title: 'Stopped by a user',
    summary: 'The task was stopped on request before it ran.',
    cause: 'StopTask was called (by a person, a deployment tool or automation).',
    remedy: 'Nothing to fix unless the stop was unexpected: CloudTrail shows who called StopTask.',
    docsUrl: DOCS_URLS.stoppedErrors,
  },
  {
    id: 'entrypoint-not-executable',
    category: 'container-command',
    match: { exitCodes: [126, 127], stoppedReason: [/Essential container in task exited/i] },
    title: 'Command not runnable',
    summary: 'The container {container|} exited with code {exitCode|126/127}: its command could not be run.',
    cause:
      'Exit code 127 means the command was not found, 126 that it is not executable (permissions, wrong shell).',
    remedy:
      'Check entryPoint/command and the file permissions in the image (chmod +x), and that the shell it needs exists.',
    docsUrl: DOCS_URLS.taskStopped,
  },
  {
    id: 'sigkill-137',
    category: 'out-of-memory',
    match: { exitCodes: [137], stoppedReason: [/Essential container in task exited/i] },
    title: 'Killed (exit 137)',
    summary: 'The container {container|} was killed (exit code 137, SIGKILL) before the task ran.',
    cause:
      'Exit code 137 is a SIGKILL, most often the kernel killing a container that exceeded its memory limit.',
    remedy:
      'Raise the container or task memory, or lower the application memory use; check the container logs for the last output.',
    docsUrl: DOCS_URLS.memory,
  },
  {
    id: 'essential-container-exited',
    category: 'essential-container-exited',
    match: { reason: [/Essential container in task exited/i] },
    title: 'Container exited at start',
    summary: 'The essential container {container|} exited with code {exitCode|unknown} before the task ran.',
    cause:
      'The application stopped at start-up: missing configuration, a failed connection to a dependency, or a crash.',
    remedy:
      'Read the container log stream for the last lines it wrote; run the image locally with the same environment.',
    docsUrl: DOCS_URLS.taskStopped,
  },
];

/** What is said when no entry matches. */
export const UNKNOWN_ENTRY: TaxonomyEntry = {
  id: 'unknown',
  category: 'unknown',
  match: {},
  title: 'Failed to start',
  summary: 'The task stopped before running, for a reason ecs-autopilot does not recognise.',
  cause: 'ECS gave no message we know: "{stoppedReason|no stopped reason}".',
  remedy:
    'Describe the task within the hour (`aws ecs describe-tasks`) and read each container reason; check the service events.',
  docsUrl: DOCS_URLS.stoppedErrorCodes,
};
