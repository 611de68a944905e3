import type { Category } from '../../../shared/failed-start/taxonomy';

/**
 * Real messages from stopped ECS tasks, as people pasted them in public issues and as AWS documents
 * them, each with where it was found. Messages are kept as published, including typos, redactions
 * (`XXX`, `****`) and cuts (ECS stops at 255 characters; people trim further), because that is what
 * the classifier meets. When a paste showed a container reason under a generic task reason, both are
 * kept. A few come from the ECS agent source (format strings filled with sample values): `note` says so.
 */
export interface MessageFixture {
  stoppedReason?: string;
  containerReason?: string;
  exitCode?: number;
  stopCode?: string;
  expected: { category: Category; entry: string; facts?: Record<string, string> };
  source: string;
  note?: string;
}

const ECS_DOCS_ARCHIVE = 'https://github.com/awsdocs/amazon-ecs-developer-guide/blob/master/doc_source';
const AGENT = 'https://github.com/aws/amazon-ecs-agent/blob/master';

export const MESSAGE_FIXTURES: readonly MessageFixture[] = [
  // --- image-pull ---------------------------------------------------------------------------------
  {
    stoppedReason: 'Essential container in task exited',
    containerReason:
      'CannotPullContainerError: API error (404): repository serverless-batch not found: does not exist or no pull access',
    expected: { category: 'image-pull', entry: 'image-not-found', facts: { image: 'serverless-batch' } },
    source: 'https://github.com/RafalWilinski/deploy-with-serverless/issues/11',
  },
  {
    containerReason:
      'CannotPullContainerError: Tag latest not found in repository docker.io/library/owncloud',
    expected: {
      category: 'image-pull',
      entry: 'image-not-found',
      facts: { image: 'docker.io/library/owncloud', registry: 'Docker Hub', tag: 'latest' },
    },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/422',
  },
  {
    stoppedReason:
      'CannotPullContainerError: Error response from daemon: manifest for elasticsearch:latest not found',
    expected: { category: 'image-pull', entry: 'image-not-found', facts: { image: 'elasticsearch:latest' } },
    source: 'https://github.com/prakhar1989/docker-curriculum/issues/218',
  },
  {
    stoppedReason:
      'CannotPullContainerError: Error response from daemon: manifest for nginx:0f6b3cdf5e24f0da3dd932acd84fd90e9786a522 not found',
    expected: { category: 'image-pull', entry: 'image-not-found' },
    source: 'https://github.com/CircleCI-Public/circleci-demo-aws-ecs-ecr/issues/4',
  },
  {
    stoppedReason:
      'CannotPullContainerError: Error: image deathstar:9ce7d67bf402b337a75c8acf49c11881be2f16bd not found',
    expected: { category: 'image-pull', entry: 'image-not-found' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/337',
  },
  {
    containerReason:
      'CannotPullContainerError: API error (404): repository 111122223333.dkr.ecr.us-east-1.amazonaws.com/<repo>/<image> not found',
    expected: { category: 'image-pull', entry: 'image-not-found', facts: { registry: 'Amazon ECR' } },
    source: `${ECS_DOCS_ARCHIVE}/task_cannot_pull_image.md`,
  },
  {
    containerReason:
      'API error (404): repository 066245240757.dkr.ecr.us-east-1.amazonaws.com/deploy-ecs-basic not found',
    expected: { category: 'image-pull', entry: 'image-not-found' },
    source: 'https://github.com/Shippable/support/issues/4234',
    note: 'agent log line: the pull error without the CannotPullContainerError prefix',
  },
  {
    containerReason: 'Error: image my-app:my-docker-tag not found',
    expected: { category: 'image-pull', entry: 'image-not-found', facts: { image: 'my-app:my-docker-tag' } },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/415',
  },
  {
    containerReason:
      'Error response from daemon: manifest for public.ecr.aws/aws-ia/taskcat:latest not found: manifest unknown: Requested image not found',
    expected: { category: 'image-pull', entry: 'image-not-found', facts: { registry: 'Amazon ECR Public' } },
    source: 'https://github.com/aws-ia/taskcat/issues/872',
  },
  {
    containerReason:
      "CannotPullContainerError: The task can’t pull the image. Check whether the image exists. Error response from daemon: pull access denied for some/nonsense, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
    expected: { category: 'image-pull', entry: 'image-missing-agent-hint' },
    source: `${AGENT}/agent/api/errormessages/error_messages_test.go`,
    note: 'agent 1.83+ adds the hint in front of the Docker error',
  },
  {
    containerReason: 'CannotPullContainerError: API error',
    expected: { category: 'image-pull', entry: 'image-pull-failed' },
    source: `${ECS_DOCS_ARCHIVE}/task_cannot_pull_image.md`,
  },
  {
    containerReason:
      'CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReaderSeeker: failed open: unexpected status code',
    expected: { category: 'image-pull', entry: 'image-pull-failed' },
    source: `${ECS_DOCS_ARCHIVE}/task_cannot_pull_image.md`,
  },
  {
    stoppedReason: 'CannotPullContainerError: inspect image has been retried 5 time(s): ',
    expected: { category: 'image-pull', entry: 'image-pull-failed' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/3035',
    note: 'cut by the reporter',
  },
  {
    stoppedReason:
      'CannotPullContainerError: failed to resolve ref "docker.io/docker/ecs-searchdomain-sidecar:1.0"',
    expected: { category: 'image-pull', entry: 'image-pull-failed' },
    source: 'https://github.com/docker-archive/compose-cli/issues/911',
  },
  {
    stoppedReason:
      'CannotPullContainerError: ref pull has been retried 5 time(s): failed to resolve reference 123456789.dkr.ecr.us-east-1.amazonaws.com/my-app:v2.3.1',
    expected: { category: 'image-pull', entry: 'image-pull-failed' },
    source: 'https://linden.consulting/en/blog/ecs-task-stopped-error',
  },
  {
    stoppedReason:
      'CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/amazon/aws-for-fluent-bit/manifests/sha256:330a24bcd4e0058d70e70a0bb1ff805065161ffe3aa96296f09b555...',
    expected: { category: 'image-pull', entry: 'image-pull-failed' },
    source: 'https://github.com/aws/aws-for-fluent-bit/issues/234',
    note: 'Docker Hub answered an unexpected status (its pull limit at the time)',
  },
  {
    containerReason:
      'Error response from daemon: failed to resolve reference "public.ecr.aws/lambda/provided:al2023": unexpected status from HEAD request to https://public.ecr.aws/v2/lambda/provided/manifests/al2023: 403 Forbidden',
    expected: { category: 'registry-auth', entry: 'pull-access-denied' },
    source: 'https://github.com/aws/aws-lambda-base-images/issues/220',
  },
  // Rate limits: Docker Hub, ECR Public, ECR token throttling.
  {
    containerReason: 'ERROR: toomanyrequests: Too Many Requests.',
    expected: { category: 'image-pull', entry: 'registry-rate-limited' },
    source: `${ECS_DOCS_ARCHIVE}/task_cannot_pull_image.md`,
  },
  {
    containerReason:
      'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limits.',
    expected: { category: 'image-pull', entry: 'registry-rate-limited' },
    source: `${ECS_DOCS_ARCHIVE}/task_cannot_pull_image.md`,
  },
  {
    containerReason:
      'failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/cypress/included/manifests/sha256:86e3bff9634b85a5239a65974ac3c98f51277a8e1519fbd57b5e528f55ab8bf7: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    expected: { category: 'image-pull', entry: 'registry-rate-limited' },
    source: 'https://github.com/apptension/saas-boilerplate/issues/204',
  },
  {
    containerReason:
      'Error response from daemon: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
    expected: { category: 'image-pull', entry: 'registry-rate-limited' },
    source: 'https://github.com/antimony-team/antimony/issues/1',
  },
  {
    containerReason: 'Error response from daemon: toomanyrequests: Rate exceeded',
    expected: { category: 'image-pull', entry: 'registry-rate-limited' },
    source: 'https://github.com/zebrunner/mcloud-agent/issues/235',
    note: 'public.ecr.aws rate limit',
  },
  {
    containerReason:
      'CannotPullECRContainerError: ThrottlingException: Rate exceeded\n\tstatus code: 400, request id: 75567eb3-6abb-11e6-9d4c-cb4ccd1cee97',
    expected: { category: 'image-pull', entry: 'registry-rate-limited' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/498',
  },
  // --- registry-auth --------------------------------------------------------------------------------
  {
    stoppedReason:
      "CannotPullContainerError: Error response from daemon: pull access denied for ecs-task-kite, repository does not exist or may require 'docker login'",
    expected: {
      category: 'registry-auth',
      entry: 'pull-access-denied',
      facts: { image: 'ecs-task-kite', registry: 'Docker Hub' },
    },
    source: 'https://github.com/awslabs/ecs-task-kite/issues/8',
  },
  {
    stoppedReason:
      "CannotPullContainerError: Error response from daemon: pull access denied for FOO.dkr.ecr.us-east-1.amazonaws.com/foo/app, repository does not exist or may require 'docker login'",
    expected: {
      category: 'registry-auth',
      entry: 'pull-access-denied',
      facts: { image: 'FOO.dkr.ecr.us-east-1.amazonaws.com/foo/app' },
    },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/2137',
  },
  {
    stoppedReason:
      "CannotPullContainerError: Error response from daemon: pull access denied for elasticsearch/elasticsearch, repository does not exist or may require 'docker login'",
    expected: { category: 'registry-auth', entry: 'pull-access-denied', facts: { registry: 'Docker Hub' } },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/2343',
  },
  {
    containerReason:
      "Error response from daemon: pull access denied for amazon/amazon-ecs-pause, repository does not exist or may require 'docker login'",
    expected: { category: 'registry-auth', entry: 'pull-access-denied' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/1837',
    note: 'the internal pause container of an awsvpc task on EC2',
  },
  {
    stoppedReason:
      'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 366590864501.dkr.ecr.us-west-2.amazonaws.com/bedrock-proxy-api-ecs:latest@sha256:5de487da52320ad9978f3a7a4f6700910342956c7dcb3b6f955222b4cccbd600: unexpected status from HEAD request to https://366590864501.dkr.ecr.us-west-2.amazonaws.com/v2/bedrock-proxy-api-ecs/blobs/sha256:5de487da52320ad9978f3a7a4f6700910342956c7dcb3b6f955222b4cccbd600: 403 Forbidden',
    expected: { category: 'registry-auth', entry: 'pull-access-denied' },
    source: 'https://github.com/aws-samples/bedrock-access-gateway/issues/114',
  },
  {
    stoppedReason:
      'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref .dkr.ecr.us-west-2.amazonaws.com/otel-collector:latest@sha256:863****9ac: unexpected status from HEAD request to https://.dkr.ecr.us-west-2.amazonaws.com/v2/otel-collector/blobs/sha256:863*****9ac: 403 Forbidden',
    expected: { category: 'registry-auth', entry: 'pull-access-denied' },
    source: 'https://github.com/aws/containers-roadmap/issues/2493',
  },
  {
    stoppedReason:
      'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref docker.io/library/sha256:8795397484604bc67cfcda4f4245dd248b172df523ce9778209e735ffe370426: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    expected: { category: 'registry-auth', entry: 'pull-access-denied' },
    source: 'https://github.com/aws-actions/amazon-ecs-deploy-task-definition/issues/584',
  },
  {
    containerReason:
      "CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to pull images from the registry. Error response from daemon: pull access denied for 123123123123.dkr.ecr.us-east-1.amazonaws.com/my_image, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::123123123123:assumed-role/MyBrokenRole/xyz is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123123123123:repository/test_image because no identity-based policy allows the ecr:BatchGetImage action",
    expected: {
      category: 'registry-auth',
      entry: 'ecr-pull-not-authorized',
      facts: { action: 'ecr:BatchGetImage' },
    },
    source: `${AGENT}/agent/api/errormessages/error_messages_test.go`,
    note: 'agent 1.83+ augmented message, as the agent builds it before ECS cuts it',
  },
  {
    containerReason:
      'CannotPullContainerError: API error (500): Get https://registry-1.docker.io/v2/library/amazonlinux/manifests/1: unauthorized: incorrect username or password',
    expected: { category: 'registry-auth', entry: 'registry-credentials-rejected' },
    source: `${AGENT}/agent/api/errormessages/error_messages_test.go`,
  },
  {
    containerReason:
      'Error response from daemon: Get https://***.amazonaws.com/v2/logspout/manifests/poc: no basic auth credentials.',
    expected: { category: 'registry-auth', entry: 'registry-credentials-rejected' },
    source: 'https://github.com/awslabs/amazon-ecr-credential-helper/issues/83',
  },
  {
    containerReason:
      'Error response from daemon: Get https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/amazon-k8s-cni/manifests/v1.6.3: no basic auth credentials',
    expected: { category: 'registry-auth', entry: 'registry-credentials-rejected' },
    source: 'https://github.com/aws/amazon-vpc-cni-k8s/issues/1117',
  },
  // --- network (pulls and API calls that cannot get out) ------------------------------------------
  {
    stoppedReason:
      'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/tryretool/backend:2.110.5: failed to do request: Head "https://registry-1.docker.io/v2/tryretool/backend/manifests/2.110.5": dial tcp 34.205.13.154:443: i/o timeout',
    expected: { category: 'network', entry: 'registry-unreachable' },
    source: 'https://github.com/ActionIQ/terraform-aws-retool-ecs-fargate/issues/20',
  },
  {
    stoppedReason:
      'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref quay.io/deepfenceio/cloud-scanner:latest: failed to do request: Head "https://quay.io/v2/deepfenceio/cloud-scanner/manifests/latest": dial tcp 3.210.148.47:443: i/o timeout',
    expected: { category: 'network', entry: 'registry-unreachable' },
    source: 'https://github.com/deepfence/terraform-aws-cloud-scanner/issues/13',
  },
  {
    containerReason:
      'CannotPullContainerError: API error (500): Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection"',
    expected: { category: 'network', entry: 'registry-unreachable' },
    source: `${ECS_DOCS_ARCHIVE}/task_cannot_pull_image.md`,
  },
  {
    stoppedReason:
      'CannotPullContainerError: API error (500): Get https://XXX.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    expected: { category: 'network', entry: 'registry-unreachable' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/1246',
  },
  {
    containerReason:
      'CannotPullContainerError: The task can’t pull the image. Check your network configuration. RequestError: send request failed\ncaused by: Post "https://api.ecr.us-east-1.amazonaws.com/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    expected: { category: 'network', entry: 'registry-unreachable' },
    source: `${AGENT}/agent/api/errormessages/error_messages_test.go`,
  },
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:us-west-2:*:secret:DBPasswordSecret-* from secrets manager: RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration.',
    expected: {
      category: 'network',
      entry: 'secrets-unreachable',
      facts: { storeName: 'Secrets Manager' },
    },
    source: 'https://github.com/Releem/releem-agent/issues/195',
  },
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 5 time(s): RequestError: send request failed caused by: Post https://api.ecr....',
    expected: { category: 'network', entry: 'secrets-unreachable', facts: { storeName: 'Amazon ECR' } },
    source: 'https://github.com/aws/aws-app-mesh-examples/issues/413',
  },
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadli...',
    expected: {
      category: 'network',
      entry: 'secrets-unreachable',
      facts: { storeName: 'SSM Parameter Store' },
    },
    source: 'https://github.com/umotif-public/terraform-aws-ecs-fargate/issues/50',
  },
  {
    stoppedReason: 'InsufficientFreeAddressesInSubnet',
    expected: { category: 'network', entry: 'subnet-out-of-addresses' },
    source: 'https://github.com/paradisec-archive/nabu/pull/1259',
  },
  {
    stoppedReason:
      'InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request.',
    expected: { category: 'network', entry: 'subnet-out-of-addresses' },
    source: 'https://github.com/aws/amazon-vpc-cni-k8s/pull/1773',
  },
  {
    stoppedReason: 'Timeout waiting for network interface provisioning to complete.',
    stopCode: 'TaskFailedToStart',
    expected: { category: 'network', entry: 'eni-provisioning-timeout' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/4825',
  },
  // --- secrets --------------------------------------------------------------------------------------
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: ....',
    expected: {
      category: 'secrets',
      entry: 'secret-access-denied',
      facts: { storeName: 'SSM Parameter Store' },
    },
    source: 'https://github.com/aws/copilot-cli/issues/3104',
  },
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-central-1:account_id:secret:algo-dev-directus-secret20240626183203358800000004-EaPYTy from secrets manager: AccessDeniedException: Access to KMS is not allowed status code: 400, request id: a87a66d9-f839-4353-b8c2-9984b1465695',
    expected: { category: 'secrets', entry: 'secret-kms-denied' },
    source: 'https://github.com/GiamPy5/terraform-aws-directus/issues/10',
  },
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time...',
    expected: {
      category: 'secrets',
      entry: 'secrets-fetch-failed',
      facts: { storeName: 'SSM Parameter Store' },
    },
    source: 'https://github.com/aws/copilot-cli/issues/2095',
    note: 'cut before the cause: only "could not fetch" can be said',
  },
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch',
    expected: { category: 'secrets', entry: 'secrets-fetch-failed' },
    source: 'https://github.com/aws-samples/dataops-platform-airflow-dbt/issues/12',
  },
  {
    stoppedReason: 'ResourceInitializationError: unable to pull secrets or registry auth',
    expected: { category: 'secrets', entry: 'secrets-fetch-failed' },
    source: 'https://github.com/nikovirtala/cdk-github-actions-runner/pull/3',
  },
  {
    stoppedReason:
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): ResourceNotFoundException: The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api/db-password-AbCdEf' from AWS Secrets Manager. Check whether the secret exists in the specified Region",
    expected: {
      category: 'secrets',
      entry: 'secret-not-found',
      facts: { secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api/db-password-AbCdEf' },
    },
    source: `${AGENT}/agent/asm/asm.go`,
    note: 'agent format string (resourceInitializationErrMsg) filled with a sample ARN',
  },
  {
    stoppedReason:
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /api/prod/database-url',
    expected: { category: 'secrets', entry: 'secret-not-found', facts: { secret: '/api/prod/database-url' } },
    source: `${AGENT}/agent/ssm/ssm.go`,
    note: 'agent format string (extractSSMValues) filled with a sample parameter name',
  },
  // --- capacity -------------------------------------------------------------------------------------
  {
    stoppedReason:
      'Capacity is unavailable at this time. Please try again later or in a different availability zone',
    stopCode: 'TaskFailedToStart',
    expected: { category: 'capacity', entry: 'fargate-capacity-unavailable' },
    source: 'https://github.com/sil-org/ecs-deploy/issues/277',
  },
  // --- out-of-memory --------------------------------------------------------------------------------
  {
    stoppedReason: 'Essential container in task exited',
    containerReason: 'OutOfMemoryError: Container killed due to memory usage',
    exitCode: 137,
    expected: { category: 'out-of-memory', entry: 'oom-killed' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/1187',
  },
  {
    stoppedReason:
      'CannotStartContainerError: Error response from daemon: OCI runtime create failed: container_linux.go:380: starting container process caused: container init was OOM-killed (memory limit too low?): unknown',
    expected: { category: 'out-of-memory', entry: 'oom-killed' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/3021',
  },
  {
    stoppedReason: 'Essential container in task exited',
    exitCode: 137,
    expected: { category: 'out-of-memory', entry: 'sigkill-137', facts: { exitCode: '137' } },
    source: 'https://github.com/aws/containers-roadmap/issues/536',
    note: 'exit code 137 without a reason, as reported for memory exhaustion on small instances',
  },
  // --- container-command ----------------------------------------------------------------------------
  {
    containerReason:
      'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/home/wso2carbon/docker-entrypoint.sh": permission denied: unknown',
    expected: {
      category: 'container-command',
      entry: 'entrypoint-permission-denied',
      facts: { command: '/home/wso2carbon/docker-entrypoint.sh' },
    },
    source: 'https://github.com/wso2/docker-is/issues/463',
    note: "the runtime's message as Docker printed it; ECS carries it after CannotStartContainerError",
  },
  {
    containerReason:
      'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec /bin/entrypoint.sh: permission denied: unknown',
    expected: {
      category: 'container-command',
      entry: 'entrypoint-permission-denied',
      facts: { command: '/bin/entrypoint.sh' },
    },
    source: 'https://github.com/appleboy/scp-action/issues/164',
    note: "the runtime's message as Docker printed it (newer runc, no colon after exec)",
  },
  {
    stoppedReason:
      'CannotStartContainerError: API error (500): Cannot start container 54b6caa1f3d8476a7b3538827d4d5017596d696b0877925d1d28a9de735b2433: [8] System error: exec: "node index.js -t sockets_transport -i 0": executable file not found in $PATH',
    expected: {
      category: 'container-command',
      entry: 'entrypoint-not-found',
      facts: { command: 'node index.js -t sockets_transport -i 0' },
    },
    source: 'https://github.com/aws/amazon-ecs-cli/issues/78',
  },
  {
    containerReason: 'System error: exec: "echo hi": executable file not found in $PATH',
    expected: { category: 'container-command', entry: 'entrypoint-not-found', facts: { command: 'echo hi' } },
    source: 'https://github.com/aws/amazon-ecs-cli/issues/25',
  },
  {
    stoppedReason:
      'CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: OCI runtime create failed: container_linux.go:370: starting container process caused: exec: "/opt/sonarqube/bin/run.sh": stat /opt/sonarqube/bin/run.sh...no such file or direct...',
    expected: {
      category: 'container-command',
      entry: 'entrypoint-not-found',
      facts: { command: '/opt/sonarqube/bin/run.sh' },
    },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/2954',
    note: 'console cut; an EFS volume mounted over the script path',
  },
  {
    containerReason: 'exec /docker-entrypoint.sh: exec format error',
    expected: {
      category: 'container-command',
      entry: 'exec-format-error',
      facts: { command: '/docker-entrypoint.sh' },
    },
    source: 'https://github.com/aws/copilot-cli/issues/6095',
  },
  {
    containerReason: 'standard_init_linux.go:228: exec user process caused: exec format error',
    expected: { category: 'container-command', entry: 'exec-format-error' },
    source: 'https://github.com/runatlantis/atlantis/issues/2001',
  },
  {
    containerReason:
      'Error response from daemon: Cannot start container 4f61653adb0d7824eac1b2eee2fefb027f046de5558a17088b7100da3e887b49: [8] System error: exec format error',
    expected: { category: 'container-command', entry: 'exec-format-error' },
    source: 'https://github.com/docker-library/docs/issues/408',
  },
  // --- storage --------------------------------------------------------------------------------------
  {
    containerReason:
      'CannotPullContainerError: write /var/lib/docker/tmp/GetImageBlob111111111: no space left on device',
    expected: { category: 'storage', entry: 'host-disk-full' },
    source: `${ECS_DOCS_ARCHIVE}/task_cannot_pull_image.md`,
  },
  {
    containerReason:
      'CannotCreateContainerError: API error (500): devmapper: Thin Pool has 4350 free data blocks which is less than minimum required 4454 free data blocks. Create more free space in thin pool or use dm.min_free_space option to change behavior',
    expected: { category: 'storage', entry: 'host-disk-full' },
    source: `${ECS_DOCS_ARCHIVE}/CannotCreateContainerError.md`,
  },
  {
    stoppedReason:
      'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: mount.nfs4: Connection reset by peer : unsuccessful EFS utils command execution; code: 32',
    expected: { category: 'storage', entry: 'efs-mount-failed' },
    source: 'https://github.com/docker-archive/compose-cli/issues/1490',
  },
  {
    stoppedReason:
      'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-0867a83d8ed398433.efs.',
    expected: {
      category: 'storage',
      entry: 'efs-mount-failed',
      facts: { fileSystem: 'fs-0867a83d8ed398433' },
    },
    source: 'https://github.com/cn-terraform/terraform-aws-jenkins/issues/23',
  },
  {
    stoppedReason:
      "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: mounting fs-<some numbers>.efs.<region>.amazonaws.com:/grafana failed, reason given by server: No such file or directory' : unsuccessful EFS utils command execution; code: 32",
    expected: { category: 'storage', entry: 'efs-mount-failed' },
    source: 'https://github.com/acp-io/terraform-grafana/issues/4',
  },
  {
    stoppedReason:
      'Attempting to lookup mount target ip address using botocore. Failed to import necessary dependency botocore, please install botocore first. : unsuccessful EFS utils command execution; code: 1',
    expected: { category: 'storage', entry: 'efs-mount-failed' },
    source: 'https://github.com/cn-terraform/terraform-aws-jenkins/issues/23',
  },
  {
    stoppedReason:
      'CannotCreateVolumeError: unable to copy contents to volume on host: containerd: failed to get image reference: context deadline exceeded',
    expected: { category: 'storage', entry: 'volume-create-failed' },
    source: 'https://github.com/aws/containers-roadmap/issues/1425',
  },
  {
    stoppedReason:
      'Error response from daemon: create ComfyUIVolume: VolumeDriver.Create: docker-legacy: Create: ComfyUIVolume: failed: error getting volume',
    expected: { category: 'storage', entry: 'volume-create-failed' },
    source: 'https://github.com/aws-samples/cost-effective-aws-deployment-of-comfyui/issues/7',
  },
  {
    containerReason:
      "CannotStartContainerError:  API error (500): error while mounting volume  '/var/lib/docker/plugins/2ec1ac405b2314e7a06c414ab0323a74187b49f1b9e9d7dcefb670bff13f599d/rootfs':  VolumeDriver.Mount: Mount failed, get service member error Timeout,  serviceUUID d5cc",
    expected: { category: 'storage', entry: 'volume-create-failed' },
    source: 'https://github.com/cloudstax/firecamp/issues/46',
  },
  // --- logging --------------------------------------------------------------------------------------
  {
    containerReason:
      'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.',
    expected: { category: 'logging', entry: 'log-group-missing' },
    source: 'https://github.com/prakhar1989/docker-curriculum/issues/253',
  },
  {
    containerReason:
      'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. status code: 400, request id: 7463029c-9f12-4e3f-b914-f',
    expected: { category: 'logging', entry: 'log-group-missing' },
    source: 'https://github.com/cn-terraform/terraform-aws-ecs-fargate-task-definition/issues/1',
  },
  {
    containerReason:
      'API error (500): failed to initialize logging driver: ResourceNotFoundException: The specified log group does not exist.',
    expected: { category: 'logging', entry: 'log-group-missing' },
    source: 'https://github.com/muccg/rdrf/issues/617',
  },
  {
    containerReason:
      'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log group: AccessDeniedException: User: arn:aws:sts::765486523053:assumed-role/amazon-ecs-cli-setup-foodtrucks-EcsInstanceRole-1II7J9P4',
    expected: { category: 'logging', entry: 'log-driver-denied' },
    source: 'https://github.com/prakhar1989/docker-curriculum/issues/260',
  },
  {
    containerReason:
      'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: AccessDeniedException: User: TASK-DEFINITION-EXECUTION-ROLE',
    expected: { category: 'logging', entry: 'log-driver-denied' },
    source: 'https://github.com/aws/aws-cdk/issues/5954',
  },
  {
    stoppedReason:
      'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: User: arn:aws:sts::zzzzzzzzzzzz:assumed-role/ecs.task.minecraft-server/123456a999ee4b919...',
    expected: { category: 'logging', entry: 'log-driver-denied' },
    source: 'https://github.com/doctorray117/minecraft-ondemand/issues/12',
  },
  {
    stoppedReason:
      'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log group: AccessDeniedException: User: arn:aws:sts::[redacted]:assumed-role/[redacted]-ecs-task-execution-role/[redacted] is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:eu-central-1:[redacted]:log-group:[redacted]:log-stream: because no identity-based policy allows the logs:CreateLogGroup action : exit status 1',
    expected: { category: 'logging', entry: 'log-driver-denied' },
    source: 'https://github.com/terraform-aws-modules/terraform-aws-ecs/pull/313',
  },
  {
    stoppedReason:
      "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: MissingEndpoint: 'Endpoint' configuration is required for t",
    expected: { category: 'logging', entry: 'log-driver-failed' },
    source: 'https://github.com/TechToSpeech/terraform-aws-serverless-static-wordpress/issues/74',
    note: 'awslogs-region set to a URL',
  },
  // --- task-definition ------------------------------------------------------------------------------
  {
    stoppedReason:
      'CannotStartContainerError: Error response from daemon: error gathering device information while adding custom device "/dev/dri/renderD130": no such file or directory',
    expected: {
      category: 'task-definition',
      entry: 'device-not-on-host',
      facts: { device: '/dev/dri/renderD130' },
    },
    source: `${ECS_DOCS_ARCHIVE}/ecs-vt1.md`,
  },
  {
    containerReason:
      'HostConfigError: Unable to resolve volume mounts; invalid path: karius-pipeline-1-0-1 -tmp;  -> /tmp',
    expected: { category: 'task-definition', entry: 'invalid-mount' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/321',
  },
  // --- health-check ---------------------------------------------------------------------------------
  {
    stoppedReason: 'Task failed ELB health checks in (target-group...)',
    stopCode: 'ServiceSchedulerInitiated',
    expected: { category: 'health-check', entry: 'elb-health-check' },
    source: 'https://github.com/boltops-tools/ufo/pull/171',
  },
  {
    stoppedReason: 'Task failed ELB health checks in (elb elb-name)',
    expected: { category: 'health-check', entry: 'elb-health-check', facts: { loadBalancer: 'elb-name' } },
    source: `${ECS_DOCS_ARCHIVE}/stopped-task-errors-classic-console.md`,
  },
  {
    stoppedReason: 'Task failed container health checks',
    stopCode: 'ServiceSchedulerInitiated',
    expected: { category: 'health-check', entry: 'container-health-check' },
    source: 'https://repost.aws/knowledge-center/ecs-task-stopped',
  },
  // --- essential-container-exited --------------------------------------------------------------------
  {
    stoppedReason: 'Essential container in task exited',
    exitCode: 1,
    expected: {
      category: 'essential-container-exited',
      entry: 'essential-container-exited',
      facts: { exitCode: '1' },
    },
    source: `${ECS_DOCS_ARCHIVE}/stopped-task-errors-classic-console.md`,
  },
  {
    stoppedReason: 'Essential container in task exited',
    exitCode: 139,
    expected: { category: 'essential-container-exited', entry: 'essential-container-exited' },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/594',
  },
  // --- stopped-by-user-or-scheduler ------------------------------------------------------------------
  {
    stoppedReason: 'Scaling activity initiated by (deployment deployment-id)',
    stopCode: 'ServiceSchedulerInitiated',
    expected: {
      category: 'stopped-by-user-or-scheduler',
      entry: 'scaled-in-by-scheduler',
      facts: { deployment: 'deployment-id' },
    },
    source: `${ECS_DOCS_ARCHIVE}/stopped-task-errors-classic-console.md`,
  },
  {
    stoppedReason: 'Container instance deregistration forced by user',
    expected: { category: 'stopped-by-user-or-scheduler', entry: 'stopped-by-user' },
    source: `${ECS_DOCS_ARCHIVE}/stopped-task-errors-classic-console.md`,
  },
  {
    stoppedReason: 'Task stopped by user',
    stopCode: 'UserInitiated',
    expected: { category: 'stopped-by-user-or-scheduler', entry: 'stopped-by-user' },
    source: 'https://repost.aws/knowledge-center/ecs-task-stopped',
  },
  {
    stoppedReason: 'Stopped by user.',
    expected: { category: 'stopped-by-user-or-scheduler', entry: 'stopped-by-user' },
    source: 'https://gitlab.com/gitlab-org/ci-cd/custom-executor-drivers/fargate/-/merge_requests/75',
  },
  // --- host-or-spot ---------------------------------------------------------------------------------
  {
    stoppedReason: 'Host EC2 (instance id) stopped/terminated',
    expected: { category: 'host-or-spot', entry: 'host-stopped', facts: { instance: 'id' } },
    source: `${ECS_DOCS_ARCHIVE}/stopped-task-errors-classic-console.md`,
  },
  {
    stoppedReason: 'Your Spot Task was interrupted.',
    stopCode: 'SpotInterruption',
    expected: { category: 'host-or-spot', entry: 'spot-interruption' },
    source: `${ECS_DOCS_ARCHIVE}/fargate-capacity-providers.md`,
  },
  // --- platform-internal ----------------------------------------------------------------------------
  {
    containerReason:
      'CannotInspectContainerError: Could not transition to inspecting; timed out after waiting 30s',
    expected: { category: 'platform-internal', entry: 'docker-timeout', facts: { transition: 'inspecting' } },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/2312',
  },
  {
    containerReason: 'Could not transition to inspecting; timed out after waiting 10s',
    expected: { category: 'platform-internal', entry: 'docker-timeout', facts: { timeout: '10s' } },
    source: 'https://github.com/aws/amazon-ecs-agent/issues/278',
  },
  {
    stoppedReason: 'CannotCreateContainerError: API error (500): Untar',
    expected: { category: 'platform-internal', entry: 'container-create-failed' },
    source: 'https://github.com/aws/amazon-ecs-cli/issues/194',
  },
  {
    stoppedReason: 'CannotStartContainerError: API error (500): driver',
    expected: { category: 'platform-internal', entry: 'container-start-failed' },
    source: 'https://github.com/awslabs/amazon-ecr-credential-helper/issues/83',
  },
  // --- unknown --------------------------------------------------------------------------------------
  {
    stoppedReason: 'Task failed to start',
    stopCode: 'TaskFailedToStart',
    expected: { category: 'unknown', entry: 'unknown' },
    source: 'https://github.com/aws/containers-roadmap/issues/2561',
  },
];
