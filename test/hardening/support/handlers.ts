// The handlers the hardening tests run, and what each test needs to know about them. Adding a function
// is one entry in HANDLERS; its sample events are read from events/<name>/*.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { SAMPLE } from '../../local-aws/model/sample';

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** A non-`rejected` answer that still refuses the input, e.g. an invalid job (alerted by design). */
export interface Refusal {
  /** Full paths in the event of the fields at fault. */
  paths: string[];
  /** The paths as the answer and the log give them (e.g. relative to the job). */
  reported: string[];
  /** Mutating calls the refusal may make (e.g. the alert saying what to fix). */
  mayCall: string[];
}

export interface HandlerSpec {
  /** Folder under functions/ and events/. */
  name: string;
  /** Environment beyond {@link COMMON_ENV}. */
  env?: Record<string, string>;
  /**
   * Objects written by users rather than AWS, checked strictly on purpose (a misspelt job field must
   * not be ignored): unknown keys under these paths may be refused.
   */
  strictPaths?: string[];
  /** Fields besides source and detail-type that decide what kind of event this is. */
  routingPaths?: string[];
  refusal?: (result: unknown, event: unknown) => Refusal | undefined;
  /** Forgets what the function keeps between invocations of one container, for a run on a fresh account. */
  forget?: () => Promise<void>;
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** run-scheduled-task answers an invalid job with `invalid-job` and one alert naming each problem. */
function invalidJob(result: unknown, event: unknown): Refusal | undefined {
  const summary = record(result);
  if (summary?.status !== 'invalid-job' || !Array.isArray(summary.problems)) return undefined;
  const prefix = 'job' in (record(event) ?? {}) ? 'job' : 'detail.job';
  const reported = summary.problems.map((problem) => String(record(problem)?.path ?? ''));
  return {
    reported,
    paths: reported.map((path) =>
      path === '' ? prefix : path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`,
    ),
    mayCall: ['sns:Publish', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  };
}

const CANDIDATES: HandlerSpec[] = [
  { name: 'drain-instance', routingPaths: ['detail.Event', 'detail.LifecycleTransition'] },
  { name: 'run-scheduled-task', strictPaths: ['job', 'detail.job'], refusal: invalidJob },
  {
    name: 'detect-failed-start',
    forget: async () =>
      (await import('../../../functions/detect-failed-start/task-definitions')).forgetTaskDefinitions(),
  },
  {
    name: 'scale-capacity',
    forget: async () => (await import('../../../functions/scale-capacity/memory')).forgetContainerMemory(),
  },
];

const ROOT = join(import.meta.dirname, '../../..');

/** The functions present in the tree (scale-capacity joins when its handler lands). */
export const HANDLERS: HandlerSpec[] = CANDIDATES.filter((spec) =>
  existsSync(join(ROOT, 'functions', spec.name, 'index.ts')),
);

/** Every variable any function requires, set to the sample universe (module-scope config reads them). */
export const COMMON_ENV: Record<string, string> = {
  STATE_TABLE: SAMPLE.table,
  ALERT_TOPIC_ARN: SAMPLE.topicArn,
  DEFAULT_CLUSTER: SAMPLE.cluster,
  CLUSTER: SAMPLE.cluster,
  CLUSTERS: SAMPLE.cluster,
  CAPACITY_PROVIDERS: SAMPLE.capacityProvider,
  AUTO_SCALING_GROUPS: SAMPLE.group,
  LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
  DRY_RUN: 'false',
};

export interface SampleEvent {
  file: string;
  event: unknown;
}

/** The function's sample events (top-level JSON files of events/<name>/). */
export function samplesOf(name: string): SampleEvent[] {
  const dir = join(ROOT, 'events', name);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, event: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown }));
}

/** Sets the environment, then imports the handler (its config and SDK clients are built at import). */
export async function importHandler(spec: HandlerSpec, extra: Record<string, string> = {}): Promise<Handler> {
  Object.assign(process.env, COMMON_ENV, spec.env ?? {}, extra);
  // The folder comes from HANDLERS: vite need not (and cannot) resolve it ahead of time.
  const module = (await import(/* @vite-ignore */ `../../../functions/${spec.name}/index`)) as {
    handler: Handler;
  };
  return module.handler;
}

/** The time a sample event says it happened: its `time`, a Scheduler `scheduledTime`, or undefined. */
export function eventTime(event: unknown): number | undefined {
  const fields = record(event);
  const text = fields?.time ?? fields?.scheduledTime;
  const ms = typeof text === 'string' ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** A Lambda context whose remaining time follows Date.now(), so a faked clock spends it. */
export function lambdaContext(name: string, timeoutMs: number, requestId = 'hardening-request'): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${SAMPLE.region}:${SAMPLE.account}:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'hardening',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
