/**
 * ECS throttles every API call of an account and Region by token buckets, one per group of operations:
 * a bucket holds at most `burst` tokens, refills `sustained` tokens a second, and each call takes one.
 * Whatever this project spends of a bucket, the console, deployments and every other tool of the
 * account cannot. Source: ECS API Reference, "Request throttling for the Amazon ECS API"
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html).
 */
export interface ApiBucket {
  /** The category's name in the API reference. */
  readonly name: string;
  /** Bucket maximum capacity: calls allowed in any one second. */
  readonly burst: number;
  /** Bucket refill rate: calls a second over time. */
  readonly sustained: number;
  readonly operations: readonly string[];
}

export const ECS_API_BUCKETS: readonly ApiBucket[] = [
  {
    name: 'Cluster modify actions',
    burst: 20,
    sustained: 1,
    operations: [
      'CreateCluster',
      'DeleteCluster',
      'PutClusterCapacityProviders',
      'UpdateCluster',
      'UpdateClusterSettings',
    ],
  },
  {
    name: 'Cluster read actions',
    burst: 50,
    sustained: 20,
    operations: ['DescribeClusters', 'ListClusters'],
  },
  {
    name: 'Task definition modify actions',
    burst: 20,
    sustained: 1,
    operations: ['DeregisterTaskDefinition', 'RegisterTaskDefinition'],
  },
  {
    name: 'Task definition read actions',
    burst: 50,
    sustained: 20,
    operations: ['DescribeTaskDefinition', 'ListTaskDefinitions', 'ListTaskDefinitionFamilies'],
  },
  {
    name: 'Capacity provider modify actions',
    burst: 10,
    sustained: 1,
    operations: ['CreateCapacityProvider', 'DeleteCapacityProvider', 'UpdateCapacityProvider'],
  },
  {
    name: 'Capacity provider read actions',
    burst: 50,
    sustained: 20,
    operations: ['DescribeCapacityProviders'],
  },
  { name: 'Tag modify actions', burst: 20, sustained: 10, operations: ['TagResource', 'UntagResource'] },
  { name: 'Tag read actions', burst: 50, sustained: 20, operations: ['ListTagsForResource'] },
  {
    name: 'Cluster resource modify actions',
    burst: 100,
    sustained: 40,
    operations: [
      'DeleteAttributes',
      'DeregisterContainerInstance',
      'ExecuteCommand',
      'PutAttributes',
      'RunTask',
      'StartTask',
      'StopTask',
      'UpdateContainerAgent',
      'UpdateContainerInstancesState',
    ],
  },
  {
    name: 'Cluster resource read actions',
    burst: 100,
    sustained: 20,
    operations: [
      'DescribeContainerInstances',
      'DescribeTasks',
      'ListAttributes',
      'ListContainerInstances',
      'ListTasks',
    ],
  },
  {
    name: 'Service modify actions',
    burst: 50,
    sustained: 5,
    operations: ['CreateService', 'DeleteService', 'UpdateService'],
  },
  {
    name: 'Service read actions',
    burst: 100,
    sustained: 20,
    operations: ['DescribeServices', 'ListServices'],
  },
  {
    name: 'Service deployment actions',
    burst: 50,
    sustained: 20,
    operations: ['DescribeServiceDeployments', 'ListServiceDeployments'],
  },
  {
    name: 'Task protection actions',
    burst: 200,
    sustained: 80,
    operations: ['UpdateTaskProtection', 'GetTaskProtection'],
  },
];

const BUCKET_OF_OPERATION = new Map(
  ECS_API_BUCKETS.flatMap((bucket) => bucket.operations.map((operation) => [operation, bucket] as const)),
);

/** The bucket an ECS operation (e.g. `DescribeTasks`) draws on; undefined for one the table doesn't list. */
export const ecsApiBucket = (operation: string): ApiBucket | undefined => BUCKET_OF_OPERATION.get(operation);
