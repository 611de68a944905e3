import { type Resolved, resolveTemplate } from './cfn-resolve';
import type { CfnTemplate } from './cfn-yaml';

/**
 * What a deployment means for ecs-autopilot, extracted the same way from the CDK's output and from the
 * SAM template, so the two can be compared field by field. References to resources read `${Name}`
 * where Name is the SAM logical id / the CDK construct id (they are kept equal on purpose).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Props = Record<string, Json>;

export interface FunctionModel {
  handler: Json;
  runtime: Json;
  architectures: Json;
  memorySize: Json;
  timeout: Json;
  reservedConcurrency: Json;
  environment: Record<string, Json>;
  asyncInvoke: Json;
  logGroup: Json;
  /** Canonical JSON of each trigger (event pattern, schedule rule, Scheduler schedule), sorted. */
  triggers: string[];
  /** `Effect Action Resource Condition` of each permission, one per action and resource, sorted. */
  permissions: string[];
}

export interface DeploymentModel {
  functions: Record<string, FunctionModel>;
  /** Canonical JSON of every other resource that both templates must define alike, by type. */
  resources: Record<string, string[]>;
}

/** Resource types compared one to one (besides functions, roles, rules and schedules). */
const COMPARED_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::KMS::Key',
  'AWS::SNS::Topic',
  'AWS::SQS::Queue',
  'AWS::Logs::LogGroup',
  'AWS::AutoScaling::LifecycleHook',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
];

export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, Json>)[key])]),
    );
  }
  return value;
}

const canonical = (value: Json) => JSON.stringify(sortKeys(value));
const envText = (value: Json | undefined) =>
  value === undefined ? undefined : typeof value === 'object' ? canonical(value) : String(value);
const asList = (value: Json | undefined): Json[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The CDK names resources `<construct path><hash>`: keep the construct id below the root construct. */
export function cdkName(rootId: string) {
  return (logicalId: string) => logicalId.replace(new RegExp(`^${rootId}`), '').replace(/[0-9A-F]{8}$/, '');
}

function statements(policyDocument: Json | undefined): string[] {
  const document = (policyDocument ?? {}) as Props;
  return asList(document.Statement).flatMap((raw) => {
    const statement = raw as Props;
    const conditions = statement.Condition ? conditionCases(statement.Condition as Props) : [''];
    return asList(statement.Action).flatMap((action) =>
      asList(statement.Resource).flatMap((resource) =>
        conditions.map((condition) =>
          [statement.Effect, action, resource, condition].filter((part) => part !== '').join(' '),
        ),
      ),
    );
  });
}

/**
 * A condition as the single-value cases it allows, each canonical: IAM ORs the values of one key and
 * ANDs the keys, so `ecs:cluster: [a, b]` allows what one statement for `a` and one for `b` allow (the
 * construct writes the list, the SAM template a statement per cluster). `"x"` and `["x"]` are alike.
 * `ForAllValues:`/`ForAnyValue:` operators test a set, so their values stay one sorted list.
 */
function conditionCases(condition: Props): string[] {
  let cases: Record<string, Record<string, Json>>[] = [{}];
  for (const [operator, keys] of Object.entries(condition)) {
    for (const [key, value] of Object.entries(keys as Props)) {
      const values = asList(value).map((item) => (typeof item === 'string' ? item : canonical(item)));
      const alternatives: Json[] = operator.startsWith('For') ? [values.sort()] : values.map((v) => [v]);
      cases = cases.flatMap((partial) =>
        alternatives.map((alternative) => ({
          ...partial,
          [operator]: { ...(partial[operator] ?? {}), [key]: alternative },
        })),
      );
    }
  }
  return cases.map((entry) => canonical(entry));
}

function otherResources(
  resolved: Resolved,
  skip: (type: string, props: Props) => boolean,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const type of COMPARED_TYPES) out[type] = [];
  for (const resource of Object.values(resolved.resources)) {
    if (!COMPARED_TYPES.includes(resource.Type) || skip(resource.Type, resource.Properties)) continue;
    // A dashboard body is JSON in a string: compare what it says, not how it is laid out.
    const props =
      resource.Type === 'AWS::CloudWatch::Dashboard'
        ? {
            ...resource.Properties,
            DashboardBody: JSON.parse(String(resource.Properties.DashboardBody)) as Json,
          }
        : resource.Properties;
    out[resource.Type].push(canonical(props));
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

/** Permissions of a role: its inline policies plus every policy resource attached to it. */
function rolePermissions(resolved: Resolved, roleName: string): string[] {
  const role = resolved.resources[roleName];
  if (!role) throw new Error(`No role ${roleName}`);
  const inline = asList(role.Properties.Policies).flatMap((policy) =>
    statements((policy as Props).PolicyDocument),
  );
  const attached = Object.values(resolved.resources).flatMap((resource) => {
    if (
      resource.Type === 'AWS::IAM::Policy' &&
      asList(resource.Properties.Roles).includes(`\${${roleName}}`)
    ) {
      return statements(resource.Properties.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::RolePolicy' && resource.Properties.RoleName === `\${${roleName}}`) {
      return statements(resource.Properties.PolicyDocument);
    }
    return [];
  });
  return [...inline, ...attached].sort();
}

/** An event pattern written as JSON text (how the SAM template narrows it to a list parameter) or an object. */
const patternOf = (pattern: Json | undefined): Json =>
  typeof pattern === 'string' ? (JSON.parse(pattern) as Json) : (pattern ?? null);

const roleOf = (arn: Json) => String(arn).replace(/^\$\{(.+)\.Arn\}$/, '$1');

function retry(policy: Json | undefined): Json {
  const props = (policy ?? {}) as Props;
  return { attempts: props.MaximumRetryAttempts ?? null, maxAge: props.MaximumEventAgeInSeconds ?? null };
}

export function cdkModel(template: CfnTemplate, rootId: string): DeploymentModel {
  const resolved = resolveTemplate(template, { rename: cdkName(rootId) });
  const functions: Record<string, FunctionModel> = {};
  for (const [name, resource] of Object.entries(resolved.resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties;
    const fnArn = `\${${name}.Arn}`;
    const invokeConfig = Object.values(resolved.resources).find(
      (other) =>
        other.Type === 'AWS::Lambda::EventInvokeConfig' && other.Properties.FunctionName === `\${${name}}`,
    )?.Properties;
    const triggers: string[] = [];
    for (const other of Object.values(resolved.resources)) {
      if (other.Type === 'AWS::Events::Rule') {
        for (const target of asList(other.Properties.Targets) as Props[]) {
          if (target.Arn !== fnArn) continue;
          triggers.push(
            canonical({
              ...(other.Properties.EventPattern
                ? { pattern: patternOf(other.Properties.EventPattern) }
                : { schedule: other.Properties.ScheduleExpression }),
              retry: retry(target.RetryPolicy),
              deadLetter: ((target.DeadLetterConfig ?? {}) as Props).Arn ?? null,
            }),
          );
        }
      }
    }
    triggers.push(...schedulesOf(resolved, name));
    functions[name] = {
      handler: props.Handler,
      runtime: props.Runtime,
      architectures: props.Architectures ?? ['x86_64'],
      memorySize: props.MemorySize ?? 128,
      timeout: props.Timeout ?? 3,
      reservedConcurrency: props.ReservedConcurrentExecutions ?? null,
      environment: ((props.Environment as Props | undefined)?.Variables ?? {}) as Record<string, Json>,
      asyncInvoke: sortKeys({
        retries: invokeConfig?.MaximumRetryAttempts ?? null,
        maxAge: invokeConfig?.MaximumEventAgeInSeconds ?? null,
        onFailure:
          ((invokeConfig?.DestinationConfig as Props | undefined)?.OnFailure as Props | undefined)
            ?.Destination ?? null,
      }),
      logGroup: ((props.LoggingConfig ?? {}) as Props).LogGroup ?? null,
      triggers: triggers.sort(),
      permissions: rolePermissions(resolved, roleOf(props.Role)),
    };
  }
  return { functions, resources: otherResources(resolved, () => false) };
}

/** EventBridge Scheduler schedules whose target is the function. */
function schedulesOf(resolved: Resolved, functionName: string): string[] {
  return Object.values(resolved.resources)
    .filter(
      (resource) =>
        resource.Type === 'AWS::Scheduler::Schedule' &&
        (resource.Properties.Target as Props).Arn === `\${${functionName}.Arn}`,
    )
    .map((resource) => canonical(schedulerTrigger(resource.Properties, resource.Properties.Target as Props)));
}

function schedulerTrigger(props: Props, target: Props): Json {
  return {
    scheduler: props.ScheduleExpression,
    timeZone: props.ScheduleExpressionTimezone ?? null,
    window: sortKeys(props.FlexibleTimeWindow ?? null),
    state: props.State ?? 'ENABLED',
    input: JSON.parse(String(target.Input)),
    role: target.RoleArn ?? null,
    retry: retry(target.RetryPolicy),
    deadLetter: ((target.DeadLetterConfig ?? {}) as Props).Arn ?? null,
  };
}

export function samModel(
  template: CfnTemplate,
  parameters: Record<string, string | string[]> = {},
): DeploymentModel {
  const globals = ((template.Globals ?? {}) as Props).Function as Props | undefined;
  const resolved = resolveTemplate(template, { parameters });
  const resolvedGlobals = globals
    ? (resolveTemplate(
        { ...template, Resources: { G: { Type: 'Globals', Properties: globals } } },
        { parameters },
      ).resources.G.Properties as Props)
    : {};
  const functions: Record<string, FunctionModel> = {};
  for (const [name, resource] of Object.entries(resolved.resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const props: Props = { ...resolvedGlobals, ...resource.Properties };
    const environment = {
      ...(((resolvedGlobals.Environment as Props | undefined)?.Variables ?? {}) as Props),
      ...(((resource.Properties.Environment as Props | undefined)?.Variables ?? {}) as Props),
    };
    const invokeConfig = (props.EventInvokeConfig ?? {}) as Props;
    const triggers = Object.values((props.Events ?? {}) as Record<string, Props>).map((event) => {
      const eventProps = event.Properties as Props;
      const deadLetter = ((eventProps.DeadLetterConfig ?? {}) as Props).Arn ?? null;
      switch (event.Type) {
        case 'EventBridgeRule':
          return canonical({
            pattern: patternOf(eventProps.Pattern),
            retry: retry(eventProps.RetryPolicy),
            deadLetter,
          });
        case 'Schedule':
          return canonical({
            schedule: eventProps.Schedule,
            retry: retry(eventProps.RetryPolicy),
            deadLetter,
          });
        case 'ScheduleV2':
          return canonical(
            schedulerTrigger(
              { ...eventProps, FlexibleTimeWindow: eventProps.FlexibleTimeWindow ?? { Mode: 'OFF' } },
              {
                Input: eventProps.Input,
                RetryPolicy: eventProps.RetryPolicy,
                DeadLetterConfig: { Arn: deadLetter },
              },
            ),
          );
        default:
          throw new Error(`Event type ${String(event.Type)} of ${name} is not compared`);
      }
    });
    triggers.push(...schedulesOf(resolved, name));
    functions[name] = {
      handler: props.Handler,
      runtime: props.Runtime,
      architectures: props.Architectures ?? ['x86_64'],
      memorySize: props.MemorySize ?? 128,
      timeout: props.Timeout ?? 3,
      reservedConcurrency: props.ReservedConcurrentExecutions ?? null,
      environment: environment as Record<string, Json>,
      asyncInvoke: sortKeys({
        retries: invokeConfig.MaximumRetryAttempts ?? null,
        maxAge: invokeConfig.MaximumEventAgeInSeconds ?? null,
        onFailure:
          ((invokeConfig.DestinationConfig as Props | undefined)?.OnFailure as Props | undefined)
            ?.Destination ?? null,
      }),
      logGroup: ((props.LoggingConfig ?? {}) as Props).LogGroup ?? null,
      triggers: triggers.sort(),
      permissions: rolePermissions(resolved, roleOf(props.Role)),
    };
  }
  return { functions, resources: otherResources(resolved, () => false) };
}

/** Every difference between two models, as readable lines; empty when they deploy the same thing. */
export function differences(cdk: DeploymentModel, sam: DeploymentModel): string[] {
  const out: string[] = [];
  const names = new Set([...Object.keys(cdk.functions), ...Object.keys(sam.functions)]);
  for (const name of names) {
    const a = cdk.functions[name];
    const b = sam.functions[name];
    if (!a || !b) {
      out.push(`function ${name}: only in ${a ? 'CDK' : 'SAM'}`);
      continue;
    }
    for (const key of Object.keys(a) as (keyof FunctionModel)[]) {
      if (key === 'triggers' || key === 'permissions') {
        for (const item of a[key])
          if (!b[key].includes(item)) out.push(`${name} ${key}: only in CDK: ${item}`);
        for (const item of b[key])
          if (!a[key].includes(item)) out.push(`${name} ${key}: only in SAM: ${item}`);
      } else if (key === 'environment') {
        const vars = new Set([...Object.keys(a.environment), ...Object.keys(b.environment)]);
        for (const variable of vars) {
          // Lambda environment values are strings: a Number parameter and its text are the same value.
          if (envText(a.environment[variable]) !== envText(b.environment[variable])) {
            out.push(
              `${name} environment ${variable}: CDK ${JSON.stringify(a.environment[variable])} SAM ${JSON.stringify(b.environment[variable])}`,
            );
          }
        }
      } else if (canonical(a[key]) !== canonical(b[key])) {
        out.push(`${name} ${key}: CDK ${canonical(a[key])} SAM ${canonical(b[key])}`);
      }
    }
  }
  for (const type of COMPARED_TYPES) {
    const a = cdk.resources[type] ?? [];
    const b = sam.resources[type] ?? [];
    for (const item of a) if (!b.includes(item)) out.push(`${type}: only in CDK: ${item}`);
    for (const item of b) if (!a.includes(item)) out.push(`${type}: only in SAM: ${item}`);
  }
  return out;
}
