import type { Category } from '../../../shared/failed-start/taxonomy';
import type { CorpusMessage } from './types';

// Messages people pasted in public issues, as pasted (redactions and cuts kept). Held out: the
// classifier is never tuned on them.

const issue = (
  category: Category,
  stoppedReason: string,
  source: string,
  year: number,
  extra: Partial<CorpusMessage> = {},
): CorpusMessage => ({ stoppedReason, category, source, origin: 'issue', year, ...extra });

const GH = 'https://github.com';

export const ISSUE_MESSAGES: readonly CorpusMessage[] = [
  issue(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time...',
    `${GH}/aws/copilot-cli/issues/2095`,
    2021,
  ),
  issue(
    'secrets',
    'Resourceinitializationerror: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::<account id>:assumed-role/aits-demo-app-test-demo-app-ExecutionRole-28VBAJL3T0YT/f83b93a4dc3442a18eaaf8c2a235cd37 is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:eu-west-2:<account id>:parameter/GOOGLE_CLIENT_ID because no identity-based policy allows the ssm:GetParameters action status code: 400, request id: 1adcb55f-f798-4503-b8a3-cd1533290001',
    `${GH}/aws/copilot-cli/issues/4504`,
    2023,
  ),
  issue(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: ...',
    `${GH}/aws/copilot-cli/issues/3240`,
    2022,
  ),
  issue(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::xxx:assumed-role/django-app-test-django-ExecutionRole-0GkTVxbLE8AS/10f3cb5a956e423b81737b131abd962d is',
    `${GH}/aws/copilot-cli/issues/5639`,
    2024,
  ),
  issue(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadli...',
    `${GH}/aws-samples/serverless-jenkins-on-aws-fargate/issues/7`,
    2021,
  ),
  issue(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.us-east-2.amazonaws.com/": dial tcp [ANIPADDRESSIDONTWANTTOSHARE]: i/o timeout. Please check your task network configuration.',
    `${GH}/doctorray117/minecraft-ondemand/issues/74`,
    2024,
  ),
  issue(
    'network',
    'ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp <SOME_IP>:443: i/o timeout.',
    `${GH}/AndrewGuenther/fck-nat/issues/99`,
    2024,
  ),
  issue(
    'network',
    'ResourceInitializationError: failed to download env files: file download command: non-empty error stream: RequestCanceled: request context cancelled caused by: context deadline exceeded',
    `${GH}/aws/aws-cdk/issues/12720`,
    2023,
  ),
  issue(
    'secrets',
    'ResourceInitializationError: failed to download env files: file download command: non-empty error stream: failed to download file 1.env: failed to write to a temporary file: AccessDenied: Access Denied',
    `${GH}/aws/aws-cdk/issues/12720`,
    2023,
  ),
  issue(
    'network',
    'ResourceInitializationError: failed to download env files: file download command: non empty error stream: RequestCanceled: request context canceled caused by: context deadline exceeded',
    `${GH}/aws/aws-cli/issues/6470`,
    2021,
  ),
  issue(
    'storage',
    'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-00000000.efs.us-east-1.amazonaws.com" - check that your file system ID is correct.',
    `${GH}/aws/amazon-ecs-cli/issues/1083`,
    2020,
  ),
  issue(
    'storage',
    'Resourceinitializationerror: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-<id>.efs.us-east-1.amazonaws.com" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID. See https://docs.aws.amazon.com/console/efs/mount-dns-name for more detail. Attempting to lookup mount target ip address using botocore. Failed to import necessary dependency botocore, please install botocore first. : unsuccessful EFS utils command execution; code: 1',
    `${GH}/rileydakota/valheim-ecs-fargate-cdk/issues/28`,
    2023,
  ),
  issue(
    'storage',
    'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: mount.nfs4: Connection reset by peer : unsuccessful EFS utils command execution; code: 32',
    `${GH}/docker-archive/compose-cli/issues/1490`,
    2021,
  ),
  issue(
    'task-definition',
    'CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: OCI runtime create failed: container_linux.go:349: starting container process caused "process_linux.go:449: container init caused \\"rootfs_linux.go:58',
    `${GH}/aws/amazon-ecs-agent/issues/2442`,
    2020,
    { note: 'cut by the console; mounting a volume into the root filesystem failed' },
  ),
  issue(
    'platform-internal',
    'Cannotstartcontainererror: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error creating device nodes: mknod /run/containerd/io.containerd.runtime.v2.task/fargate.task/962011037cd2435a9aa5f40392d82936-2949673445/rootfs/dev/null: errno 524: unknown',
    `${GH}/aws/amazon-ecs-agent/issues/3526`,
    2023,
  ),
  issue(
    'task-definition',
    'CannotStartContainerError: API error (500): invalid header field value "oci runtime error: container_linux.go:247: starting container process caused \\"process_linux.go:359: container init caused \\\\\\"rootfs_linux.go:53: mounting \\\\\\\\\\\\\\"/root/app.properti',
    `${GH}/aws/amazon-ecs-agent/issues/712`,
    2017,
    { note: 'agent 1.14, Docker 1.12: a host file mounted over a path of the image' },
  ),
  issue(
    'network',
    'CannotStartContainerError: API error (500): driver failed programming external connectivity on endpoint ecs-NAME-OMITTED-94958e9asdfasdf4900 (f1800b5f1a909asdfasdfb0a7c89acb72asdfasdf98f97e6965asdfasdf): Bind for 0.0.0.0:80 failed',
    `${GH}/aws/amazon-ecs-agent/issues/843`,
    2017,
  ),
  issue(
    'network',
    'Cannot start container XXXXXXXXX: failed to create endpoint XXXXXXXXXXX on network bridge: Bind for 0.0.0.0:30',
    `${GH}/aws/amazon-ecs-cli/issues/83`,
    2016,
  ),
  issue(
    'network',
    'container resource provisioning: failed to setup network namespace: cni setup: invoke eni plugin failed: getInterfaceDeviceName engine: unable to get device with hardware address 0e:6f:a4:d7:4b:3c',
    `${GH}/aws/amazon-ecs-cni-plugins/issues/93`,
    2019,
  ),
  issue(
    'network',
    'Unable to configure pause container namespace, err: bridge create veth pair: unable to setup veth pair for interface: ecs-eth0: container veth name provided (ecs-eth0) already exists',
    `${GH}/aws/amazon-ecs-agent/issues/1151`,
    2017,
  ),
  issue(
    'network',
    'add network failed: invalid MAC address',
    `${GH}/aws/amazon-ecs-agent/issues/3368`,
    2022,
    { note: 'Windows awsvpc task; the pause container namespace could not be set up' },
  ),
  issue(
    'network',
    'Timeout waiting for network interface provisioning to complete.',
    `${GH}/aws/amazon-ecs-agent/issues/4825`,
    2025,
    { stopCode: 'TaskFailedToStart' },
  ),
  issue(
    'registry-auth',
    "error while pulling image amazon/amazon-ecs-pause:0.1.0 for container ~internal~ecs~pause~namespace , moving task to STOPPED: Error response from daemon: pull access denied for amazon/amazon-ecs-pause, repository does not exist or may require 'docker login'",
    `${GH}/aws/amazon-ecs-agent/issues/1837`,
    2019,
  ),
  issue(
    'container-command',
    "CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'.",
    `${GH}/aviswerdlow/relay/issues/71`,
    2025,
  ),
  issue(
    'platform-internal',
    'CannotCreateContainerError: API error (500): Untar',
    `${GH}/aws/amazon-ecs-cli/issues/194`,
    2017,
  ),
  issue(
    'task-definition',
    'API error (500): Cannot start container 04a8a015f0638add383292a23fd5c6a49b802ab7b44cb9cdd821105831e86aea: [8] System error: Unable to find user ubuntu',
    `${GH}/tsuru/tsuru/issues/741`,
    2015,
    { note: 'Docker 1.x wording, as an agent of the time would carry it' },
  ),
  issue(
    'task-definition',
    'linux spec user: unable to find user root: no matching entries in passwd file',
    `${GH}/ansible/ansible-container/issues/400`,
    2018,
  ),
  issue(
    'task-definition',
    'unable to find user node: no matching entries in passwd file',
    `${GH}/DIYgod/RSSHub/issues/9254`,
    2022,
  ),
  issue(
    'task-definition',
    'Error response from daemon: unable to find user root: no matching entries in passwd file.',
    `${GH}/Overv/openstreetmap-tile-server/issues/87`,
    2019,
  ),
  issue(
    'task-definition',
    'Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/var/lib/docker/volumes/bee01badac563927d267d1fa300517be9aa56adc81d03bc43a624fc0200b637b/_data" to rootfs at "/app/web/node_modules": create mount destination for /app/web/node_modules mount: openat /var/lib/docker/overlay2/96f805d335dccf2ed55b4bcf49d9b2c438642952f2af203b248663877c4c14fb/merged/app/web: operation not permitted: unknown',
    `${GH}/makeplane/plane/issues/5916`,
    2024,
  ),
  issue(
    'task-definition',
    'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting \\"/var/lib/blipblop/volumes/victoria-metrics/data\\" to rootfs at \\"/victoria-metrics/data\\": mount /var/lib/blipblop/volumes/victoria-metrics/data:/victoria-metrics/data (via /proc/self/fd/6): no such device: unknown',
    `${GH}/amimof/voiyd/issues/80`,
    2025,
  ),
  issue(
    'task-definition',
    'OCI runtime create failed: container_linux.go:349: starting container process caused "process_linux.go:449: container init caused \\"rootfs_linux.go:58: mounting \\\\\\"/hms/deployments/tomcat-10.0/conf/server.xml\\\\\\" to rootfs \\\\\\"/var/lib/docker/overlay2/1f2e/merged\\\\\\" at \\\\\\"/var/lib/docker/overlay2/1f2e/merged/usr/local/tomcat/conf/server.xml\\\\\\" caused \\\\\\"not a directory\\\\\\"\\"": unknown: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type',
    `${GH}/docker/cli/issues/2573`,
    2020,
  ),
  issue(
    'network',
    'driver failed programming external connectivity on endpoint tyk-gateway (1a41682df361402e2839e605b474195ad6e0d30b42c1a3b573600d63c32442b0): Bind for 0.0.0.0:80 failed: port is already allocated',
    `${GH}/moby/libnetwork/issues/1790`,
    2017,
  ),
  issue(
    'network',
    'Error response from daemon: driver failed programming external connectivity on endpoint gitlab (11303a16273c9d995e84f3fc2ff393a837ffe09c0125f2416a47b3525fc15e96): Error starting userland proxy: listen tcp 0.0.0.0:80: bind: address already in use',
    `${GH}/microsoft/vscode-docker/issues/1222`,
    2019,
  ),
  issue(
    'image-pull',
    'Error response from daemon: manifest for amazonlinux:2023.6.20250203.1 not found: manifest unknown: manifest unknown',
    `${GH}/amazonlinux/amazon-linux-2023/issues/910`,
    2025,
  ),
  issue(
    'container-command',
    'no matching manifest for linux/amd64 in the manifest list entries',
    `${GH}/amazonlinux/container-images/issues/127`,
    2025,
  ),
  issue(
    'registry-auth',
    "CannotPullContainerError: Error response from daemon: pull access denied for amazon/amazon-ecs-pause, repository does not exist or may require 'docker login'",
    `${GH}/aws/amazon-ecs-agent/issues/1837`,
    2019,
  ),
  issue(
    'secrets',
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-central-1:account_id:secret:algo-dev-directus-secret from secrets manager: AccessDeniedException: Access to KMS is not allowed',
    `${GH}/GiamPy5/terraform-aws-directus/issues/10`,
    2024,
    { note: 'the same failure as the fixture from this issue, cut before the status code' },
  ),
  // Second collection (added after the classifier was written, measured before any change to it).
  issue(
    'logging',
    'API error (500): failed to initialize logging driver: ResourceNotFoundException: The specified log group does not exist.\n\tstatus code: 400, request id: 2831992f-899d-11e8-8425-99d434b6599a',
    `${GH}/muccg/rdrf/issues/617`,
    2018,
  ),
  issue(
    'logging',
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. status code: 400',
    `${GH}/Rayraegah/terraform-aws-hasura/issues/25`,
    2020,
  ),
  issue(
    'logging',
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist',
    `${GH}/cn-terraform/terraform-aws-nexus/issues/35`,
    2022,
  ),
  issue(
    'network',
    'CannotPullContainerError: Could not reach any registry endpoint',
    `${GH}/aws/amazon-ecs-agent/issues/719`,
    2017,
    {
      note: 'Docker 1.x wording while Docker Hub was down; "could not reach" was added to the unreachable causes after it was missed.',
      missedWhenFirstSeen: true,
    },
  ),
  issue(
    'image-pull',
    'CannotPullContainerError: API error (404)',
    `${GH}/aws/amazon-ecs-agent/issues/943`,
    2017,
  ),
  issue(
    'image-pull',
    'CannotPullContainerError: unsupported media type application/vnd.in-toto+json',
    `${GH}/aws/aws-cdk/issues/30680`,
    2024,
  ),
  issue(
    'platform-internal',
    'DockerTimeoutError: Could not tranisition to started; timed out after waiting 8m0s',
    `${GH}/aws-actions/amazon-ecs-deploy-task-definition/issues/232`,
    2021,
    { note: 'typo as pasted' },
  ),
  issue(
    'out-of-memory',
    'Essential container in task exited',
    `${GH}/aws/amazon-ecs-agent/issues/1187`,
    2018,
    {
      containerReason: 'OutOfMemoryError: Container killed due to memory usage',
      exitCode: 137,
    },
  ),
  issue(
    'out-of-memory',
    'Essential container in task exited',
    `${GH}/aws/amazon-ecs-agent/issues/2467`,
    2024,
    {
      containerReason: 'OutofMemoryError: Container killed due to memory usage',
      exitCode: 0,
      note: 'the container exited 0 after being OOM-killed in a child process',
    },
  ),
  issue(
    'health-check',
    'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-3:XXXXX:targetgroup/GLOBAL_TARGET/XXXXXXXXXX)',
    `${GH}/aws/containers-roadmap/issues/796`,
    2020,
  ),
  issue(
    'container-command',
    'OCI runtime create failed: container_linux.go:348: starting container process caused "exec: \\"./bin/run.sh\\": stat ./bin/run.sh: no such file or directory": unknown.',
    `${GH}/moby/moby/issues/37749`,
    2018,
  ),
  issue(
    'container-command',
    'failed to create shim: OCI runtime create failed: runc create failed: unable to start container process: exec: "ls": executable file not found in $PATH: unknown',
    `${GH}/apocas/dockerode/issues/654`,
    2022,
  ),
  issue(
    'container-command',
    'OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "/entrypoint.sh": stat /entrypoint.sh: no such file or directory: unknown',
    `${GH}/mbentley/docker-omada-controller/issues/130`,
    2021,
  ),
  issue(
    'container-command',
    'starting container failed: oci runtime error: container_linux.go:265: starting container process caused "exec: \\"/bin/sh -c\\": stat /bin/sh -c: no such file or directory',
    `${GH}/AlinaNova21/docker-screeps-server/issues/9`,
    2017,
  ),
  // Third collection (added after the classifier was written, measured before any change to it).
  issue(
    'network',
    'ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon CloudWatch log group defined in the task definition. There is a connection issue between the task and Amazon CloudWatch. Check your network configuration. : signal: killed',
    `${GH}/civiform/civiform/issues/7648`,
    2024,
    {
      note: 'Read as logging when first measured; Fargate\'s "connection issue between the task and" was then taken as a call to AWS.',
      missedWhenFirstSeen: true,
    },
  ),
  issue(
    'logging',
    'CannotStartContainerError: ResourceInitializationError: failed to initialize logging driver: failed to get fluentd log driver arguments: logging driver specified of container xxxxxxxx, but no log configuration specified',
    `${GH}/splunk/splunk-connect-for-kubernetes/issues/423`,
    2020,
  ),
  {
    stoppedReason:
      'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42": failed to do request: Head "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/api/manifests/v42": dial tcp 10.0.3.17:443: i/o timeout',
    category: 'network',
    source: 'https://devopsaitoolkit.com/blog/aws-error-cannot-pull-container-error-ecs/',
    origin: 'page',
    year: 2026,
  },
  {
    stoppedReason:
      'Cannotpullcontainererror: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/username/repo: failed to do request: Head "https://registry-1.docker.io/v2/username/repo/manifests/latest": dial tcp 44.205.64.79:443: i/o timeout',
    category: 'network',
    source: 'https://openillumi.com/?p=106123',
    origin: 'page',
    year: 2025,
  },
];
