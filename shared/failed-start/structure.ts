/**
 * Reads the structure of a failure message instead of its wording. ECS reasons are chains: the agent
 * (or Fargate) names the step that failed (`CannotPullContainerError: `, `ResourceInitializationError:
 * unable to pull secrets or registry auth: `), then each layer below wraps the error of the one under it
 * (`: `, `caused by: `, `Error response from daemon: `, `API error (500): `) down to the error that
 * started it all: the AWS SDK's, Docker's, containerd's, runc's, a CNI plugin's. The step (stage) says
 * where the start failed; the innermost cause says why. A new wording of a known cause keeps both.
 *
 * Sources: the agent's named errors (amazon-ecs-agent agent/dockerclient/dockerapi/errors.go,
 * agent/engine/errors.go, ecs-agent/api/errors/errors.go) and the ECS developer guide's "Amazon ECS
 * stopped task error messages" pages.
 */

/** Where in the start of a task the failure happened. */
export type Stage =
  /** Pulling an image (CannotPullContainerError and the runtime's pull errors). */
  | 'pull'
  /** Getting the registry login: an ECR token, or private registry credentials from Secrets Manager. */
  | 'registry-auth'
  /** Secrets (SSM, Secrets Manager) and environment files (S3) fetched before the containers start. */
  | 'secrets'
  /** Task networking: ENI, CNI plugins, the network namespace, Docker's port mappings. */
  | 'network-setup'
  /** Volumes: EFS, volume drivers. */
  | 'volume'
  /** The container's log driver (awslogs, FireLens, fluentd). */
  | 'logging'
  /** Creating the container (CannotCreateContainerError). */
  | 'create'
  /** Starting the container: the OCI runtime (CannotStartContainerError). */
  | 'start'
  /** The container runtime did not answer (timeouts, inspect, stop). */
  | 'runtime'
  /** ResourceInitializationError with nothing more specific. */
  | 'resource-init';

/** Why it failed: the innermost error of the chain, as a kind. */
export type Cause =
  | 'unreachable'
  | 'kms'
  | 'denied'
  | 'not-found'
  | 'rate-limited'
  | 'disk-full'
  | 'out-of-memory'
  | 'wrong-architecture'
  | 'platform-missing'
  | 'command-missing'
  | 'command-not-executable'
  | 'user-missing'
  | 'mount-into-rootfs'
  | 'port-in-use'
  | 'device-missing'
  | 'container-config';

export interface Anatomy {
  stage?: Stage;
  cause?: Cause;
  /** The text of the innermost cause (from where it was found to the end). */
  causeText?: string;
}

/**
 * Stages, most specific first: a log driver failing inside CannotStartContainerError is a logging
 * failure, a registry login failing inside "unable to pull secrets or registry auth" is a registry one.
 */
const STAGES: readonly [Stage, RegExp][] = [
  ['logging', /logging driver|logger args|Cloudwatch log|firelens|\blog (?:group|stream)\b|awslogs-/i],
  [
    'volume',
    /EFS utils|efs-utils|amazon-efs|mount\.nfs|VolumeDriver|CannotCreateVolumeError|error while mounting volume|volume plugin|contents to volume|\bfs-[0-9a-f]{8,17}\b/i,
  ],
  [
    'network-setup',
    /network namespace|\bcni\b|eni plugin|ecs-eni|vpc-branch-eni|\bveth\b|pause container namespace|add network failed|configure ENI|ENI attachment|network interface provisioning|ContainerNetworkingError|external connectivity|on network bridge|failed to create endpoint \S+ on network|InsufficientFreeAddresses|free (?:IPv4 )?addresses|\bENIs?\b|network interface|NetworkInterface/i,
  ],
  [
    'registry-auth',
    /ecr registry auth|registry auth from|get registry auth|asm fetching|AuthorizationData|CannotPullContainerAuthError|GetAuthorizationToken|\basm resource\b|asm-auth/i,
  ],
  [
    'secrets',
    /pull secrets|retrieve secrets?\b|secret data|secrets manager|Parameter Store|ssm secret|SSM parameter|ASM secret|secretsmanager|execution resource retrieval|env files?\b|envfile|environment ?file|pull command failed|json key|provided SSM/i,
  ],
  [
    'pull',
    /CannotPull\w*Error|pull(?:ing)? image|ref pull|inspect image|resolve ref(?:erence)?|\bmanifest|pull access denied|GetImageBlob|register layer|extract layer|httpRead(?:er)?Seeker|\/v2\/|Pulling from|toomanyrequests|pull rate limit|(?:image|repository|Tag)\s+\S+\s+not found|requested image|trying to pull repository/i,
  ],
  [
    'runtime',
    /CannotInspectContainerError|DockerTimeoutError|ContainerRuntime(?:Timeout)?Error|CannotStopContainerError|Could not transition to|failed to get container status|CannotGetDocker\w*Error|ContainerVanishedError|Task dependencies cannot be resolved|No such container/i,
  ],
  ['create', /CannotCreateContainerError|failed to create container\b/i],
  [
    'start',
    /CannotStartContainerError|OCI runtime|\brunc\b|container_linux\.go|starting container process|Cannot start container|System error|shim task|container init|container runtime task/i,
  ],
  ['resource-init', /ResourceInitializationError/i],
];

/** Causes that say everything whatever the stage: the first that appears wins. */
const DEFINITE: readonly [Cause, RegExp][] = [
  ['disk-full', /no space left on device|Thin Pool has \d+ free data blocks|disk quota exceeded/i],
  [
    'out-of-memory',
    /OOM-?killed|OutOfMemory|out of memory|memory limit too low|unable to set memory limit|Container killed due to memory usage|memory\.limit_in_bytes: device or resource busy/i,
  ],
  ['wrong-architecture', /exec format error/i],
  [
    'platform-missing',
    /no matching manifest for|descriptor matching platform|does not match the specified platform|image platform \S+ does not match/i,
  ],
  [
    'user-missing',
    /unable to find (?:user|group)|no matching entries in (?:passwd|group)|find User '?[\w-]+'? in passwd|failed to find user/i,
  ],
  [
    'command-not-executable',
    /exec:? "?[^"\s:]+"?: permission denied|exec user process caused:? "?permission denied/i,
  ],
  [
    'command-missing',
    /executable file not found|exec: "?[^"]+"?: (?:stat [^:]*: )?no such file or directory|exec: "[^"]+": stat |starting container process caused:? "?exec:|exec user process caused:? "?no such file|CreateProcess: failure in a Windows system call: The system cannot find the (?:file|path) specified/i,
  ],
  [
    'mount-into-rootfs',
    /mounting [^\n]{0,300}? to rootfs|to rootfs at|rootfs_linux\.go|create mount destination|mount a directory onto a file|error mounting "|creating mount source path/i,
  ],
  [
    'port-in-use',
    /port is already allocated|address already in use|driver failed programming external connectivity|failed to create endpoint \S+ on network bridge|Bind for [\d.:[\]]+ failed/i,
  ],
  ['device-missing', /error gathering device information|adding custom device/i],
  [
    'container-config',
    /error setting rlimits?|chdir to cwd|Minimum memory limit allowed|invalid mount config|Unable to resolve volume mounts|HostConfigError|InvalidVolumeError|invalid characters for a local volume name/i,
  ],
];

/**
 * Causes that layers repeat on the way up (an SDK error quotes the HTTP status, Docker quotes the
 * registry): the innermost, i.e. the last in the text, is the root.
 */
const LAYERED: readonly [Cause, RegExp][] = [
  [
    'unreachable',
    /i\/o timeout|dial tcp|no such host|connection (?:refused|reset|timed out)|TLS handshake timeout|request cancell?ed|RequestCanceled|context deadline exceeded|Client\.Timeout|send request failed|network is unreachable|no route to host|connection issue between the task and|check your (?:task )?network configuration|(?:could ?n.t|could not|unable to|cannot|can.t) reach|: EOF\b|proxyconnect/gi,
  ],
  [
    'kms',
    /\bKMS\b|kms:\w+|customer master key|KMSAccessDenied|DecryptionFailure|KMSInvalidState|KMS\.\w+Exception|InvalidKeyId|InvalidCiphertext/gi,
  ],
  [
    'denied',
    /AccessDenied|\bdenied\b|not authorized|authorization token has expired|Forbidden|\b403\b|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|insufficient_scope|requested access to the resource is denied|no basic auth credentials|unauthorized|authentication required|incorrect username or password|NoCredentialProviders|InvalidSignature|SignatureDoesNotMatch|security token included in the request is (?:invalid|expired)|execution role credentials|may require 'docker login'|may require authorization|permissions to pull/gi,
  ],
  [
    'not-found',
    /not found|NotFound|does not exist|NoSuchKey|NoSuchBucket|ParameterNotFound|ResourceNotFound|manifest unknown|invalid parameters?:|can.t find the specified|can.t retrieve the secret|Check whether the (?:image|secret) exists|API error \(404\)|\b404\b/gi,
  ],
  ['rate-limited', /toomanyrequests|Too Many Requests|\b429\b|rate limit|Throttling|Rate exceeded/gi],
];

/** The agent's own hint, put in front of the Docker error from agent 1.83: it names the cause. */
const HINTS: readonly [Cause, RegExp][] = [
  ['not-found', /Check whether the image exists/i],
  ['denied', /Check that the role has the permissions/i],
  ['unreachable', /Check your network configuration/i],
];

/**
 * Names of things (image references, URLs, ARNs, paths) say nothing about the stage and can look like
 * a marker (an image called aws-for-fluent-bit, a repository called amazon-k8s-cni): they are blanked,
 * except a registry API path (`/v2/`) or Docker's blob download, which do say "pull".
 */
const blankNames = (text: string) =>
  text
    .split(/(\s+)/)
    .map((token) => (!token.includes('/') ? token : /\/v2\/|GetImageBlob/.test(token) ? '/v2/' : '_'))
    .join('');

export function stageOf(text: string): Stage | undefined {
  const plain = blankNames(text);
  return STAGES.find(([, pattern]) => pattern.test(plain))?.[0];
}

/** The innermost cause of the chain, with the text from it to the end. */
export function causeOf(text: string): { cause: Cause; causeText: string } | undefined {
  for (const [cause, pattern] of DEFINITE) {
    const match = pattern.exec(text);
    if (match) return { cause, causeText: text.slice(match.index) };
  }
  for (const [cause, pattern] of HINTS) {
    const match = pattern.exec(text);
    if (match) return { cause, causeText: text.slice(match.index) };
  }
  let best: { cause: Cause; at: number; rank: number } | undefined;
  for (const [cause, pattern] of LAYERED) {
    for (const match of text.matchAll(pattern)) {
      // A KMS error arrives as AccessDeniedException "...KMS...": the key, not the policy, is the cause.
      const rank = cause === 'kms' ? 1 : 0;
      if (!best || rank > best.rank || (rank === best.rank && match.index >= best.at)) {
        best = { cause, at: match.index, rank };
      }
    }
  }
  return best ? { cause: best.cause, causeText: text.slice(best.at) } : undefined;
}

/** The stage and the root cause of one message. */
export function anatomyOf(text: string): Anatomy {
  const stage = stageOf(text);
  const cause = causeOf(text);
  return { ...(stage ? { stage } : {}), ...(cause ? cause : {}) };
}
