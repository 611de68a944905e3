import {
  type CapacityProvider,
  type Cluster,
  type ContainerInstance,
  type ContainerInstanceStatus,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type DesiredStatus,
  ECSClient,
  type Failure,
  GetTaskProtectionCommand,
  ListTasksCommand,
  type ProtectedTask,
  paginateListContainerInstances,
  paginateListServices,
  paginateListTasks,
  RunTaskCommand,
  type RunTaskCommandInput,
  type Service,
  StopTaskCommand,
  type Task,
  type TaskDefinition,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { countApiCall } from '../runtime/pass-budget';
import { BATCH_CONCURRENCY, chunk, mapConcurrent } from './batch';
import { clientConfig } from './client-config';
import { call } from './errors';

/** Built once per container; reused by every invocation. */
export const ecs = new ECSClient(clientConfig);
// Every request counted into the running pass's budget (shared/runtime/pass-budget.ts): each page of a
// listing is a request, and each draws a token (ECS API Reference, "Request throttling"). Before the
// retry step, so one command counts once, however many attempts throttling costs it.
ecs.middlewareStack.add(
  (next, context) => (args) => {
    countApiCall(`ecs:${(context.commandName ?? '').replace(/Command$/, '')}`);
    return next(args);
  },
  { step: 'initialize', name: 'countIntoPassBudget' },
);

const PAGE_SIZE = 100;
/** API limits per call (ECS API reference). */
export const ECS_LIMITS = {
  describeTasks: 100,
  describeContainerInstances: 100,
  describeServices: 10,
  updateContainerInstancesState: 10,
  stopTaskReason: 255,
  describeCapacityProviders: 10,
  describeClusters: 100,
  getTaskProtection: 100,
} as const;

export interface Described<T> {
  items: T[];
  failures: Failure[];
}

async function collect<Page, Item>(pages: AsyncIterable<Page>, itemsOf: (page: Page) => Item[] | undefined) {
  const items: Item[] = [];
  for await (const page of pages) items.push(...(itemsOf(page) ?? []));
  return items;
}

/** Up to `limit` items, and whether that was all of them (pages stop being read at the limit). */
async function collectUpTo<Page, Item>(
  pages: AsyncIterable<Page>,
  itemsOf: (page: Page) => Item[] | undefined,
  hasMore: (page: Page) => boolean,
  limit: number,
): Promise<{ items: Item[]; complete: boolean }> {
  const items: Item[] = [];
  for await (const page of pages) {
    items.push(...(itemsOf(page) ?? []));
    if (!hasMore(page)) return { items, complete: true };
    if (items.length >= limit) return { items, complete: false };
  }
  return { items, complete: true };
}

export function listContainerInstanceArns(
  cluster: string,
  options: { filter?: string; status?: ContainerInstanceStatus } = {},
): Promise<string[]> {
  return call('ecs:ListContainerInstances', cluster, () =>
    collect(
      paginateListContainerInstances({ client: ecs, pageSize: PAGE_SIZE }, { cluster, ...options }),
      (page) => page.containerInstanceArns,
    ),
  );
}

export async function describeContainerInstances(
  cluster: string,
  arns: readonly string[],
): Promise<Described<ContainerInstance>> {
  const pages = await mapConcurrent(
    chunk(arns, ECS_LIMITS.describeContainerInstances),
    BATCH_CONCURRENCY,
    (batch) =>
      call('ecs:DescribeContainerInstances', cluster, () =>
        ecs.send(
          new DescribeContainerInstancesCommand({ cluster, containerInstances: batch, include: ['TAGS'] }),
        ),
      ),
  );
  return {
    items: pages.flatMap((page) => page.containerInstances ?? []),
    failures: pages.flatMap((page) => page.failures ?? []),
  };
}

/** Statuses of a registration that can hold tasks: the one to drain. */
const LIVE_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'DRAINING']);

/**
 * The container instance registered for an EC2 instance, or undefined. Without a status,
 * ListContainerInstances lists every status but INACTIVE (REGISTERING, REGISTRATION_FAILED,
 * DEREGISTERING too), in no promised order, and an EC2 instance can carry a stale registration beside
 * the live one (an agent re-registered after its data was wiped). The live one (ACTIVE or DRAINING, the
 * most recently registered) is the one whose tasks hold the drain; another is answered only when no
 * live one exists. ListContainerInstances, DescribeContainerInstances (Amazon ECS API Reference).
 */
export async function findContainerInstanceByEc2Id(
  cluster: string,
  ec2InstanceId: string,
): Promise<ContainerInstance | undefined> {
  const arns = await listContainerInstanceArns(cluster, { filter: `ec2InstanceId == ${ec2InstanceId}` });
  if (arns.length === 0) return undefined;
  const { items } = await describeContainerInstances(cluster, arns);
  const rank = (instance: ContainerInstance) => (LIVE_STATUSES.has(instance.status ?? '') ? 1 : 0);
  const registered = (instance: ContainerInstance) => instance.registeredAt?.getTime() ?? 0;
  return items
    .filter((instance) => instance.ec2InstanceId === ec2InstanceId)
    .sort((a, b) => rank(b) - rank(a) || registered(b) - registered(a))[0];
}

export interface TaskListFilter {
  containerInstance?: string;
  family?: string;
  serviceName?: string;
  startedBy?: string;
  desiredStatus?: DesiredStatus;
}

export function listTaskArns(cluster: string, filter: TaskListFilter = {}): Promise<string[]> {
  return call('ecs:ListTasks', cluster, () =>
    collect(
      paginateListTasks({ client: ecs, pageSize: PAGE_SIZE }, { cluster, ...filter }),
      (page) => page.taskArns,
    ),
  );
}

/** At most `limit` task ARNs (rounded up to whole pages of 100) for the filter, and whether that was all. */
export function listTaskArnsUpTo(
  cluster: string,
  filter: TaskListFilter,
  limit: number,
): Promise<{ items: string[]; complete: boolean }> {
  return call('ecs:ListTasks', cluster, () =>
    collectUpTo(
      paginateListTasks({ client: ecs, pageSize: PAGE_SIZE }, { cluster, ...filter }),
      (page) => page.taskArns,
      (page) => Boolean(page.nextToken),
      limit,
    ),
  );
}

/**
 * One page of ListTasks (up to 100 ARNs) from `nextToken`, for a pass that reads a long list a few pages
 * at a time and carries the rest: the next token, when more follow.
 */
export async function listTaskArnsPage(
  cluster: string,
  filter: TaskListFilter,
  nextToken?: string,
): Promise<{ arns: string[]; nextToken?: string }> {
  const page = await call('ecs:ListTasks', cluster, () =>
    ecs.send(
      new ListTasksCommand({
        cluster,
        ...filter,
        maxResults: PAGE_SIZE,
        ...(nextToken ? { nextToken } : {}),
      }),
    ),
  );
  return { arns: page.taskArns ?? [], ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

/**
 * Every task ECS still knows for the filter, whatever its desired status. ListTasks alone only returns
 * desired RUNNING, so a task that is STOPPING would be missed (the drain-too-early trap).
 */
export async function listTaskArnsAnyDesiredStatus(
  cluster: string,
  filter: Omit<TaskListFilter, 'desiredStatus'> = {},
): Promise<string[]> {
  const [running, stopped] = await Promise.all([
    listTaskArns(cluster, { ...filter, desiredStatus: 'RUNNING' }),
    listTaskArns(cluster, { ...filter, desiredStatus: 'STOPPED' }),
  ]);
  return [...new Set([...running, ...stopped])];
}

export async function describeTasks(cluster: string, arns: readonly string[]): Promise<Described<Task>> {
  const pages = await mapConcurrent(chunk(arns, ECS_LIMITS.describeTasks), BATCH_CONCURRENCY, (batch) =>
    call('ecs:DescribeTasks', cluster, () =>
      ecs.send(new DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] })),
    ),
  );
  return {
    items: pages.flatMap((page) => page.tasks ?? []),
    failures: pages.flatMap((page) => page.failures ?? []),
  };
}

export function listServiceArns(cluster: string): Promise<string[]> {
  return call('ecs:ListServices', cluster, () =>
    collect(
      paginateListServices({ client: ecs, pageSize: PAGE_SIZE }, { cluster }),
      (page) => page.serviceArns,
    ),
  );
}

export async function describeServices(
  cluster: string,
  names: readonly string[],
): Promise<Described<Service>> {
  const pages = await mapConcurrent(chunk(names, ECS_LIMITS.describeServices), BATCH_CONCURRENCY, (batch) =>
    call('ecs:DescribeServices', cluster, () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: batch })),
    ),
  );
  return {
    items: pages.flatMap((page) => page.services ?? []),
    failures: pages.flatMap((page) => page.failures ?? []),
  };
}

export async function describeClusters(names: readonly string[]): Promise<Described<Cluster>> {
  const pages = await mapConcurrent(chunk(names, ECS_LIMITS.describeClusters), BATCH_CONCURRENCY, (batch) =>
    call('ecs:DescribeClusters', batch.join(','), () =>
      ecs.send(new DescribeClustersCommand({ clusters: batch, include: ['SETTINGS'] })),
    ),
  );
  return {
    items: pages.flatMap((page) => page.clusters ?? []),
    failures: pages.flatMap((page) => page.failures ?? []),
  };
}

export async function describeCapacityProviders(
  names: readonly string[],
): Promise<Described<CapacityProvider>> {
  const pages = await mapConcurrent(
    chunk(names, ECS_LIMITS.describeCapacityProviders),
    BATCH_CONCURRENCY,
    (batch) =>
      call('ecs:DescribeCapacityProviders', batch.join(','), () =>
        ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: batch })),
      ),
  );
  return {
    items: pages.flatMap((page) => page.capacityProviders ?? []),
    failures: pages.flatMap((page) => page.failures ?? []),
  };
}

/** Task definition revisions are immutable: each is fetched once per container. */
const taskDefinitionCache = new Map<string, Promise<TaskDefinition>>();

/** `arnOrFamilyRevision` must name a revision (`family:3` or a full ARN); a bare family is not cached. */
export function describeTaskDefinition(arnOrFamilyRevision: string): Promise<TaskDefinition> {
  const cacheable = /:\d+$/.test(arnOrFamilyRevision);
  const cached = cacheable ? taskDefinitionCache.get(arnOrFamilyRevision) : undefined;
  if (cached) return cached;
  const pending = call('ecs:DescribeTaskDefinition', arnOrFamilyRevision, async () => {
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: arnOrFamilyRevision }),
    );
    if (!taskDefinition) throw new Error(`DescribeTaskDefinition returned no task definition`);
    return taskDefinition;
  });
  if (cacheable) {
    taskDefinitionCache.set(arnOrFamilyRevision, pending);
    pending.catch(() => taskDefinitionCache.delete(arnOrFamilyRevision));
  }
  return pending;
}

/** For tests: forget cached task definitions. */
export function clearTaskDefinitionCache(): void {
  taskDefinitionCache.clear();
}

/**
 * Sets instances DRAINING, 10 per call. Setting an instance that is already DRAINING is harmless;
 * per-instance failures are returned, not thrown.
 */
export function setContainerInstancesDraining(
  cluster: string,
  arns: readonly string[],
): Promise<Described<ContainerInstance>> {
  return setContainerInstancesStatus(cluster, arns, 'DRAINING');
}

/** ACTIVE or DRAINING, 10 per call; per-instance failures are returned, not thrown. */
export async function setContainerInstancesStatus(
  cluster: string,
  arns: readonly string[],
  status: 'ACTIVE' | 'DRAINING',
): Promise<Described<ContainerInstance>> {
  const pages = await mapConcurrent(
    chunk(arns, ECS_LIMITS.updateContainerInstancesState),
    BATCH_CONCURRENCY,
    (batch) =>
      call('ecs:UpdateContainerInstancesState', cluster, () =>
        ecs.send(
          new UpdateContainerInstancesStateCommand({
            cluster,
            containerInstances: batch,
            status,
          }),
        ),
      ),
  );
  return {
    items: pages.flatMap((page) => page.containerInstances ?? []),
    failures: pages.flatMap((page) => page.failures ?? []),
  };
}

/** Stops a task; stopping a task that already stopped is not an error in ECS. */
export async function stopTask(cluster: string, task: string, reason: string): Promise<Task | undefined> {
  const { task: stopped } = await call('ecs:StopTask', task, () =>
    ecs.send(new StopTaskCommand({ cluster, task, reason: reason.slice(0, ECS_LIMITS.stopTaskReason) })),
  );
  return stopped;
}

export function runTask(input: RunTaskCommandInput) {
  return call('ecs:RunTask', `${input.cluster ?? 'default'}/${input.taskDefinition}`, () =>
    ecs.send(new RunTaskCommand(input)),
  );
}

/**
 * Task scale-in protection (UpdateTaskProtection) of service tasks, at most 100 per call (GetTaskProtection
 * in the ECS API reference); a task ECS cannot answer for comes back in `failures[]`.
 */
export async function getTaskProtection(
  cluster: string,
  arns: readonly string[],
): Promise<Described<ProtectedTask>> {
  const pages = await mapConcurrent(chunk(arns, ECS_LIMITS.getTaskProtection), BATCH_CONCURRENCY, (batch) =>
    call('ecs:GetTaskProtection', cluster, () =>
      ecs.send(new GetTaskProtectionCommand({ cluster, tasks: batch })),
    ),
  );
  return {
    items: pages.flatMap((page) => page.protectedTasks ?? []),
    failures: pages.flatMap((page) => page.failures ?? []),
  };
}
