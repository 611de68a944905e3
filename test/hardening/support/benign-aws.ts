// AWS answered by aws-sdk-client-mock from the sample universe, quickly and without failing: every read
// succeeds with something plausible, every write succeeds. The services' own request validation is kept
// (SNS subject and size, Auto Scaling parameter constraints, ECS field limits, DynamoDB item and key
// sizes), so a request the functions build from event text that AWS would refuse still fails here.
import {
  AutoScalingClient,
  AutoScalingServiceException,
  type CompleteLifecycleActionCommandInput,
  type DescribeAutoScalingInstancesCommandInput,
  type RecordLifecycleActionHeartbeatCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  ClientException,
  type DescribeTaskDefinitionCommandInput,
  ECSClient,
  InvalidParameterException,
  type RunTaskCommandInput,
  type StopTaskCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  type PublishCommandInput,
  SNSClient,
  InvalidParameterException as SnsInvalidParameter,
} from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { SAMPLE } from '../../local-aws/model/sample';
import { MemoryTable } from './memory-table';

/** One AWS call as the function made it. */
export interface AwsCall {
  /** `service:Operation`, as IAM and the local endpoint's call log name it. */
  name: string;
  input: Record<string, unknown>;
}

const READ = /^[a-z]+:(Describe|List|Get|Query|Scan|BatchGet)/;
/** Anything that is not a read changes something. */
export const isMutating = (name: string) => !READ.test(name);

const DOCUMENT_OPERATIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
};

const ecsInvalid = (message: string) => new InvalidParameterException({ message, $metadata: {} });
const asgValidation = (message: string) =>
  new AutoScalingServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message: `1 validation error detected: ${message}`,
    $metadata: { httpStatusCode: 400 },
  });

/** Auto Scaling's documented constraints on the lifecycle calls' parameters. */
function checkLifecycleParameters(input: {
  LifecycleHookName?: string | undefined;
  AutoScalingGroupName?: string | undefined;
  LifecycleActionToken?: string | undefined;
  InstanceId?: string | undefined;
}) {
  const { LifecycleHookName: hook, AutoScalingGroupName: group, LifecycleActionToken: token } = input;
  if (!hook || hook.length > 255 || !/^[A-Za-z0-9\-_/]+$/.test(hook)) {
    throw asgValidation(`Value '${hook}' at 'lifecycleHookName' failed to satisfy constraint`);
  }
  if (
    !group ||
    group.length > 255 ||
    [...group].some((char) => char.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(char))
  ) {
    throw asgValidation(`Value at 'autoScalingGroupName' failed to satisfy constraint`);
  }
  if (token !== undefined && token.length !== 36) {
    throw asgValidation(
      `Value at 'lifecycleActionToken' failed to satisfy constraint: Member must have length 36`,
    );
  }
  if (input.InstanceId !== undefined && (input.InstanceId.length < 1 || input.InstanceId.length > 19)) {
    throw asgValidation(
      `Value at 'instanceId' failed to satisfy constraint: Member must have length less than or equal to 19`,
    );
  }
  if (token === undefined && input.InstanceId === undefined) {
    throw asgValidation('Either LifecycleActionToken or InstanceId must be specified.');
  }
}

const ARN = `arn:aws:ecs:${SAMPLE.region}:${SAMPLE.account}`;
const GROUP_ARN = `arn:aws:autoscaling:${SAMPLE.region}:${SAMPLE.account}:autoScalingGroup:7f1c3d52-9a2b-4b8e-8c1d-2f3e4a5b6c7d:autoScalingGroupName/${SAMPLE.group}`;
const snsInvalid = (message: string) => new SnsInvalidParameter({ message, $metadata: {} });

const SAMPLE_CONTAINERS: Record<
  string,
  { cpu: number; memory: number; networkMode: 'bridge' | 'awsvpc'; port?: number }
> = {
  api: { cpu: 512, memory: 1024, networkMode: 'bridge', port: 8080 },
  worker: { cpu: 1024, memory: 2048, networkMode: 'awsvpc' },
  'log-router': { cpu: 128, memory: 256, networkMode: 'bridge' },
  report: { cpu: 256, memory: 512, networkMode: 'bridge' },
};

/**
 * The sample universe's task definition of a family (any revision), as DescribeTaskDefinition returns
 * it; undefined for other families, which ECS answers with ClientException.
 */
export function sampleTaskDefinition(reference: string): TaskDefinition | undefined {
  const name = reference.slice(reference.lastIndexOf('/') + 1);
  const [family = '', revision = '1'] = name.split(':');
  const shape = Object.hasOwn(SAMPLE_CONTAINERS, family) ? SAMPLE_CONTAINERS[family] : undefined;
  if (!shape || !/^\d+$/.test(revision)) return undefined;
  return {
    taskDefinitionArn: `${ARN}:task-definition/${family}:${revision}`,
    family,
    revision: Number(revision),
    status: 'ACTIVE',
    networkMode: shape.networkMode,
    requiresCompatibilities: ['EC2'],
    compatibilities: ['EC2'],
    containerDefinitions: [
      {
        name: family,
        image: `${SAMPLE.account}.dkr.ecr.${SAMPLE.region}.amazonaws.com/${family}:1.4.2`,
        cpu: shape.cpu,
        memoryReservation: shape.memory,
        essential: true,
        portMappings: shape.port ? [{ containerPort: shape.port, hostPort: 0, protocol: 'tcp' }] : [],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': `/ecs/${family}`,
            'awslogs-region': SAMPLE.region,
            'awslogs-stream-prefix': 'ecs',
          },
        },
      },
    ],
  };
}

type Answers = Record<string, (input: never) => unknown>;

/**
 * Errors by which the services refuse a request's parameters (sizes, lengths, characters). ECS's
 * ClientException is left out: the emulation also answers it for a task definition that doesn't exist.
 */
const PARAMETER_REFUSALS = new Set(['ValidationException', 'ValidationError', 'InvalidParameterException']);

/** A request AWS refused for its parameters: what the functions must never send. */
export interface ParameterRefusal {
  operation: string;
  message: string;
}

/**
 * A `send` answering each command by its class name; the fallback answers the rest (undefined: refuse).
 * Parameter refusals are also handed to `refused`, since a caller may catch them and carry on.
 */
function dispatch<Output>(
  answers: Answers,
  fallback: object | undefined,
  refused: (refusal: ParameterRefusal) => void,
) {
  return async (command: object): Promise<Output> => {
    const { constructor: type, input } = command as { constructor: { name: string }; input: unknown };
    const answer = answers[type.name] as ((input: unknown) => unknown) | undefined;
    try {
      if (answer) return (await answer(input)) as Output;
    } catch (error) {
      const { name, message } = error as Error;
      if (PARAMETER_REFUSALS.has(name)) refused({ operation: type.name.replace(/Command$/, ''), message });
      throw error;
    }
    if (fallback === undefined) throw new Error(`memory table: ${type.name} not supported`);
    return fallback as Output;
  };
}

/** Every SDK client the functions use, mocked; DynamoDB kept in memory. */
export class BenignAws {
  readonly ecs = mockClient(ECSClient);
  readonly autoScaling = mockClient(AutoScalingClient);
  readonly sns = mockClient(SNSClient);
  readonly dynamodb = mockClient(DynamoDBDocumentClient);
  readonly table = new MemoryTable();
  private runs = 0;
  private readonly refusals: ParameterRefusal[] = [];

  constructor() {
    const refused = (refusal: ParameterRefusal) => void this.refusals.push(refusal);
    // One fake per client dispatching on the command's class: sinon's per-command matchers cost ~0.2 ms
    // a call, ten times this (measured), which decides whether 10,000 cases take seconds or minutes.
    this.ecs.send.callsFake(dispatch(this.ecsAnswers(), {}, refused));
    this.autoScaling.send.callsFake(dispatch(this.autoScalingAnswers(), {}, refused));
    this.sns.send.callsFake(dispatch(this.snsAnswers(), {}, refused));
    this.dynamodb.send.callsFake(dispatch(this.table.answers, undefined, refused));
  }

  /** Empty table, no calls recorded; the answers stay installed. */
  reset(): void {
    for (const mock of [this.ecs, this.autoScaling, this.sns, this.dynamodb]) mock.resetHistory();
    this.table.reset();
    this.runs = 0;
    this.refusals.length = 0;
  }

  /** Requests refused for their parameters since the last reset, caught by the function or not. */
  parameterRefusals(): ParameterRefusal[] {
    return [...this.refusals];
  }

  /** Removes the mocks: the real clients again. */
  restore(): void {
    for (const mock of [this.ecs, this.autoScaling, this.sns, this.dynamodb]) mock.restore();
  }

  private snsAnswers() {
    return {
      PublishCommand: (input: PublishCommandInput) => {
        const message = input.Message ?? '';
        if (message === '') throw snsInvalid('Invalid parameter: Message too short');
        if (Buffer.byteLength(message) > 262_144) throw snsInvalid('Invalid parameter: Message too long');
        const subject = input.Subject;
        if (
          subject !== undefined &&
          (subject.length === 0 || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject))
        ) {
          throw snsInvalid('Invalid parameter: Subject');
        }
        if (input.MessageStructure === 'json') {
          const parsed = JSON.parse(message) as { default?: unknown };
          if (typeof parsed.default !== 'string') {
            throw snsInvalid('Invalid parameter: Message Structure - No default entry in JSON message body');
          }
        }
        return { MessageId: `message-${++this.runs}` };
      },
    };
  }

  private ecsAnswers() {
    const clusterArn = SAMPLE.clusterArn;
    return {
      ListClustersCommand: () => ({ clusterArns: [clusterArn] }),
      DescribeClustersCommand: () => ({
        clusters: [
          {
            clusterArn,
            clusterName: SAMPLE.cluster,
            status: 'ACTIVE',
            capacityProviders: [SAMPLE.capacityProvider],
            defaultCapacityProviderStrategy: [
              { capacityProvider: SAMPLE.capacityProvider, weight: 1, base: 0 },
            ],
          },
        ],
        failures: [],
      }),
      DescribeCapacityProvidersCommand: () => ({
        capacityProviders: [
          {
            name: SAMPLE.capacityProvider,
            capacityProviderArn: `${ARN}:capacity-provider/${SAMPLE.capacityProvider}`,
            status: 'ACTIVE',
            autoScalingGroupProvider: {
              autoScalingGroupArn: GROUP_ARN,
              managedScaling: { status: 'DISABLED' },
              managedTerminationProtection: 'DISABLED',
            },
          },
        ],
        failures: [],
      }),
      ListContainerInstancesCommand: () => ({ containerInstanceArns: [] }),
      ListTasksCommand: () => ({ taskArns: [] }),
      ListServicesCommand: () => ({ serviceArns: [] }),
      DescribeContainerInstancesCommand: () => ({ containerInstances: [], failures: [] }),
      DescribeTasksCommand: () => ({ tasks: [], failures: [] }),
      DescribeServicesCommand: () => ({ services: [], failures: [] }),
      UpdateContainerInstancesStateCommand: () => ({ containerInstances: [], failures: [] }),
      ListTagsForResourceCommand: () => ({ tags: [] }),
      DescribeTaskDefinitionCommand: (input: DescribeTaskDefinitionCommandInput) => {
        const taskDefinition = sampleTaskDefinition(input.taskDefinition ?? '');
        if (!taskDefinition) {
          throw new ClientException({ message: 'Unable to describe task definition.', $metadata: {} });
        }
        return { taskDefinition, tags: [] };
      },
      RunTaskCommand: (input: RunTaskCommandInput) => {
        if (input.startedBy !== undefined && input.startedBy.length > 128) {
          throw ecsInvalid('startedBy can be at most 128 characters.');
        }
        const token = input.clientToken;
        if (token !== undefined && (token.length > 64 || !/^[\x20-\x7e]+$/.test(token))) {
          throw ecsInvalid('clientToken must be 1 to 64 ASCII characters.');
        }
        const definition = sampleTaskDefinition(input.taskDefinition ?? '');
        if (!definition)
          throw new ClientException({ message: 'Unable to describe task definition.', $metadata: {} });
        return {
          tasks: Array.from({ length: input.count ?? 1 }, (_, index) => ({
            taskArn: `${ARN}:task/${SAMPLE.cluster}/${(++this.runs).toString(16).padStart(31, '0')}${index}`,
            clusterArn,
            taskDefinitionArn: definition.taskDefinitionArn,
            group: input.group ?? `family:${definition.family}`,
            startedBy: input.startedBy,
            lastStatus: 'PROVISIONING',
            desiredStatus: 'RUNNING',
            createdAt: new Date(),
            tags: input.tags,
          })),
          failures: [],
        };
      },
      StopTaskCommand: (input: StopTaskCommandInput) => {
        if (input.reason !== undefined && input.reason.length > 255) {
          throw ecsInvalid('reason can be at most 255 characters.');
        }
        return { task: { taskArn: input.task, clusterArn, lastStatus: 'RUNNING', desiredStatus: 'STOPPED' } };
      },
    };
  }

  private autoScalingAnswers() {
    const instances = SAMPLE.instances.map((InstanceId, index) => ({
      InstanceId,
      AvailabilityZone: SAMPLE.availabilityZones[index],
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      ProtectedFromScaleIn: false,
      InstanceType: SAMPLE.instanceType,
    }));
    return {
      DescribeAutoScalingGroupsCommand: () => ({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: SAMPLE.group,
            AutoScalingGroupARN: GROUP_ARN,
            MinSize: 0,
            MaxSize: 10,
            DesiredCapacity: 3,
            DefaultCooldown: 300,
            AvailabilityZones: [...SAMPLE.availabilityZones],
            HealthCheckType: 'EC2',
            CreatedTime: new Date('2025-01-01T00:00:00Z'),
            Instances: instances,
            Tags: [
              {
                Key: 'ecs-autopilot:cluster',
                Value: SAMPLE.cluster,
                ResourceId: SAMPLE.group,
                ResourceType: 'auto-scaling-group',
                PropagateAtLaunch: false,
              },
            ],
          },
        ],
      }),
      DescribeAutoScalingInstancesCommand: (input: DescribeAutoScalingInstancesCommandInput) => ({
        AutoScalingInstances: instances
          .filter((instance) => input.InstanceIds?.includes(instance.InstanceId))
          .map((instance) => ({ ...instance, AutoScalingGroupName: SAMPLE.group })),
      }),
      DescribeInstanceRefreshesCommand: () => ({ InstanceRefreshes: [] }),
      DescribeLifecycleHooksCommand: () => ({
        LifecycleHooks: [
          {
            AutoScalingGroupName: SAMPLE.group,
            LifecycleHookName: SAMPLE.hook,
            LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
            HeartbeatTimeout: 300,
            GlobalTimeout: 30_000,
            DefaultResult: 'CONTINUE',
            NotificationMetadata: JSON.stringify({ cluster: SAMPLE.cluster }),
          },
        ],
      }),
      CompleteLifecycleActionCommand: (input: CompleteLifecycleActionCommandInput) => {
        checkLifecycleParameters(input);
        if (input.LifecycleActionResult !== 'CONTINUE' && input.LifecycleActionResult !== 'ABANDON') {
          throw asgValidation('LifecycleActionResult must be CONTINUE or ABANDON.');
        }
        return {};
      },
      RecordLifecycleActionHeartbeatCommand: (input: RecordLifecycleActionHeartbeatCommandInput) => {
        checkLifecycleParameters(input);
        return {};
      },
    };
  }

  /** Every call so far, in the order made. */
  calls(): AwsCall[] {
    const services = [
      ['ecs', this.ecs],
      ['autoscaling', this.autoScaling],
      ['sns', this.sns],
      ['dynamodb', this.dynamodb],
    ] as const;
    return services
      .flatMap(([service, mock]) =>
        mock.calls().map((call) => {
          const command = call.args[0] as unknown as {
            constructor: { name: string };
            input: Record<string, unknown>;
          };
          const operation = command.constructor.name.replace(/Command$/, '');
          return {
            // sinon numbers every call of every stub: the order across the four clients.
            order: (call as unknown as { callId: number }).callId,
            name: `${service}:${service === 'dynamodb' ? (DOCUMENT_OPERATIONS[operation] ?? operation) : operation}`,
            input: command.input,
          };
        }),
      )
      .sort((a, b) => a.order - b.order)
      .map(({ name, input }) => ({ name, input }));
  }
}
