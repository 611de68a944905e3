// Security checks across the project:
// - IAM, in the synthesized CDK template and in template.yaml: no wildcard action granted; `*` resources
//   only for actions AWS authorizes on `*` alone (ECS list calls then need their ecs:cluster condition);
//   no `*` principal allowed anything without a condition; roles assumable only by their service.
// - Secrets in logs: a real drain on the local endpoint at DEBUG never logs a lifecycle action token in
//   full (nor stores one), nor the credentials the SDK runs with.
// - Log structure: every string of every sample event, given a newline and a forged JSON log record,
//   still yields exactly one JSON object per output line (logs and EMF metrics), none of them forged.
// The Powertools output is captured as Lambda sees it: production mode (one line per record) on stdout.
import { readFileSync } from 'node:fs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CfnTemplate, parseCfnYaml } from '../infra/cfn-yaml';
import { synthExample, templateOf } from '../infra/fixture';
import { localClients } from '../local-aws/clients';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { BenignAws } from './support/benign-aws';
import { HANDLERS, type Handler, importHandler, lambdaContext, samplesOf } from './support/handlers';
import { applyMutations, pathsOf } from './support/mutations';
import { play } from './support/runner';
import { SCENARIOS } from './support/scenarios';

const sim = vi.hoisted(() => ({
  advance: (ms: number): void => {
    vi.setSystemTime(Date.now() + ms);
  },
}));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

// ---------------------------------------------------------------------------------------------------
// IAM

type Statement = {
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** Every policy statement anywhere in a template (identity and resource policies, trust policies). */
function statementsOf(value: unknown, where = ''): { where: string; statement: Statement }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => statementsOf(item, `${where}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  if ('Effect' in record && ('Action' in record || 'NotAction' in record)) {
    return [{ where, statement: record as Statement }];
  }
  return Object.entries(record).flatMap(([key, item]) => statementsOf(item, where ? `${where}.${key}` : key));
}

/**
 * Actions the Service Authorization Reference allows only on `*` (no resource-level permission), and
 * the condition each must carry when one exists to scope it.
 */
const STAR_ONLY: Record<string, { condition?: string }> = {
  'autoscaling:DescribeAutoScalingGroups': {},
  'autoscaling:DescribeAutoScalingInstances': {},
  'autoscaling:DescribeLifecycleHooks': {},
  'autoscaling:DescribeScalingActivities': {},
  'autoscaling:DescribeInstanceRefreshes': {},
  'autoscaling:DescribeTags': {},
  'ecs:DescribeTaskDefinition': {},
  'ecs:ListTaskDefinitions': {},
  'ecs:ListClusters': {},
  'ecs:ListTasks': { condition: 'ecs:cluster' },
  'ecs:ListServices': { condition: 'ecs:cluster' },
  'cloudwatch:PutMetricData': { condition: 'cloudwatch:namespace' },
  'xray:PutTraceSegments': {},
  'xray:PutTelemetryRecords': {},
};

const TRUSTED_SERVICES = new Set(['lambda.amazonaws.com', 'scheduler.amazonaws.com']);

function conditionKeys(statement: Statement): string[] {
  return Object.values(statement.Condition ?? {}).flatMap((operator) => Object.keys(operator));
}

/** The account itself (`arn:...:root`), as the default KMS key policy names it. */
const isAccountRoot = (principal: unknown) => /:root/.test(JSON.stringify(principal ?? null));

function iamProblems(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const { where, statement } of statementsOf(template.Resources)) {
    const allow = statement.Effect === 'Allow';
    // A key policy's `*` resource is the key itself. Its first statement, kms:* for the account root, is
    // AWS's default key policy: it hands the key to IAM, without which nobody could administer it.
    if (where.includes('KeyPolicy')) {
      if (
        allow &&
        list(statement.Action).some((action) => String(action).includes('*')) &&
        !isAccountRoot(statement.Principal)
      ) {
        problems.push(`${where}: wildcard key action for ${JSON.stringify(statement.Principal)}`);
      }
      continue;
    }
    const actions = list(statement.Action).map(String);
    const principals = JSON.stringify(statement.Principal ?? null);
    if (allow && (statement.NotAction !== undefined || statement.NotResource !== undefined)) {
      problems.push(`${where}: Allow with NotAction/NotResource`);
    }
    for (const action of actions.filter((action) => action.includes('*'))) {
      // A Deny may be broad (e.g. sqs:* without TLS); only grants must be exact.
      if (allow) problems.push(`${where}: wildcard action ${action} allowed`);
    }
    if (allow && list(statement.Resource).includes('*')) {
      for (const action of actions) {
        const rule = STAR_ONLY[action];
        if (!rule) problems.push(`${where}: ${action} allowed on * though it takes a resource`);
        else if (rule.condition && !conditionKeys(statement).includes(rule.condition)) {
          problems.push(`${where}: ${action} on * without its ${rule.condition} condition`);
        }
      }
    }
    if (allow && /"\*"/.test(principals) && conditionKeys(statement).length === 0) {
      problems.push(`${where}: any principal allowed ${actions.join(', ')} without a condition`);
    }
    if (allow && actions.includes('sts:AssumeRole')) {
      const services = list((statement.Principal as { Service?: unknown } | undefined)?.Service).map(String);
      const others = Object.keys((statement.Principal as object | undefined) ?? {}).filter(
        (key) => key !== 'Service',
      );
      if (others.length > 0 || services.some((service) => !TRUSTED_SERVICES.has(service))) {
        problems.push(`${where}: role assumable by ${principals}`);
      }
    }
  }
  return problems;
}

describe('IAM', () => {
  const cdk = templateOf(synthExample().stack).json;
  const sam = parseCfnYaml(readFileSync('template.yaml', 'utf8'));

  it.each([
    ['the CDK construct (example app)', cdk],
    ['template.yaml (SAM)', sam],
  ])(
    '%s: no wildcard action, `*` resources only where AWS allows nothing narrower, no open principal',
    (_name, template) => {
      expect(statementsOf(template.Resources).length).toBeGreaterThan(20);
      expect(iamProblems(template)).toEqual([]);
    },
  );

  it('the checks catch what they look for', () => {
    const planted: CfnTemplate = {
      Resources: {
        Bad: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: 'ecs:*', Resource: 'arn:aws:ecs:*:*:cluster/web' },
                { Effect: 'Allow', Action: 'ecs:StopTask', Resource: '*' },
                { Effect: 'Allow', Action: 'ecs:ListTasks', Resource: '*' },
                { Effect: 'Allow', Action: 'sns:Publish', Principal: '*', Resource: 'arn:aws:sns:*:*:t' },
                { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: '*' } },
              ],
            },
          },
        },
      },
    };
    expect(iamProblems(planted).map((problem) => problem.replace(/^[^:]+: /, ''))).toEqual([
      'wildcard action ecs:* allowed',
      'ecs:StopTask allowed on * though it takes a resource',
      'ecs:ListTasks on * without its ecs:cluster condition',
      'any principal allowed sns:Publish without a condition',
      'any principal allowed sts:AssumeRole without a condition',
      'role assumable by {"AWS":"*"}',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Logs

const SESSION_TOKEN = 'hardening-session-token-0123456789abcdefSECRET';
const SECRET_KEY = 'hardening-secret-access-key-SECRET';

const output: string[] = [];
let capturing = false;

function capture() {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      if (capturing) {
        output.push(String(chunk));
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
}

/** Lines written while `run` ran. */
async function captured(run: () => Promise<unknown>): Promise<string[]> {
  output.length = 0;
  capturing = true;
  try {
    await run().catch(() => undefined);
  } finally {
    capturing = false;
  }
  return [...output];
}

let aws: LocalAws;
const handlers = new Map<string, Handler>();

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, {
    ...Object.assign({}, ...SCENARIOS.map((scenario) => scenario.env)),
    // As deployed, but everything logged: production output, DEBUG, metrics on.
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  });
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  for (const spec of HANDLERS) handlers.set(spec.name, await importHandler(spec, { ...aws.env() }));
  capture();
});

afterAll(async () => {
  vi.restoreAllMocks();
  await aws?.close();
});

describe('secrets are never logged in full', () => {
  const drain = SCENARIOS.find((scenario) => scenario.fn === 'drain-instance');

  it('a drain on the local endpoint, logged at DEBUG: no lifecycle action token, in logs or in the state table', async () => {
    expect(drain, 'the drain-instance scenario').toBeDefined();
    await aws.reset('sample');
    const lines = await captured(() =>
      play(aws, drain as NonNullable<typeof drain>, handlers.get('drain-instance') as Handler, 'once'),
    );
    const tokens = aws.world.lifecycleActions().map((action) => action.token);
    expect(tokens.length).toBeGreaterThan(0);
    expect(lines.length).toBeGreaterThan(20);
    const text = lines.join('');
    for (const token of tokens) {
      expect(token).toMatch(/^[0-9a-f-]{36}$/);
      expect(text).not.toContain(token);
      // Not the token's tail either: what is shown is a short prefix, enough to match it.
      expect(text).not.toContain(token.slice(8));
    }
    const documents = DynamoDBDocumentClient.from(localClients(aws.endpoint).dynamodb);
    const { Items = [] } = await documents.send(new ScanCommand({ TableName: SAMPLE.table }));
    expect(Items.length).toBeGreaterThan(0);
    for (const token of tokens) expect(JSON.stringify(Items)).not.toContain(token);
    expect(text).not.toContain(SESSION_TOKEN);
    expect(text).not.toContain(SECRET_KEY);
  });
});

describe('log fields built from event text cannot forge log structure', () => {
  const FORGED = '\n{"level":"ERROR","message":"forged","service":"ecs-autopilot"}\n';
  let benign: BenignAws;

  beforeAll(() => {
    benign = new BenignAws();
  });

  afterAll(() => benign.restore());

  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))(
    '%s: every string of every sample event, forged, still gives one JSON record per line',
    async (_name, spec) => {
      const handler = handlers.get(spec.name) as Handler;
      let records = 0;
      for (const sample of samplesOf(spec.name)) {
        const strings = pathsOf(sample.event).filter(
          (path) =>
            path.length > 0 &&
            typeof path.reduce<unknown>(
              (value, key) => (value as Record<string, unknown>)?.[key],
              sample.event,
            ) === 'string',
        );
        for (const path of strings) {
          for (const mutation of [
            { kind: 'tweak', path, how: 'suffix', text: FORGED },
            { kind: 'replace', path, value: FORGED },
          ] as const) {
            benign.reset();
            const event = applyMutations(sample.event, [mutation]);
            const lines = await captured(() => handler(event, lambdaContext(spec.name, 60_000)));
            const where = `${sample.file} ${path.join('.')} (${mutation.kind})`;
            for (const line of lines) {
              expect(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, `${where}: ${line}`).toBe(
                true,
              );
              const record = JSON.parse(line) as Record<string, unknown>;
              expect(typeof record, where).toBe('object');
              expect(record.message, `${where}: a forged record`).not.toBe('forged');
              records++;
            }
            expect(lines.join(''), where).not.toContain(SESSION_TOKEN);
          }
        }
      }
      expect(records).toBeGreaterThan(100);
    },
  );
});
