import { Aws } from 'aws-cdk-lib';
import { ANY_RESOURCE, type Permission } from '../permissions';
import type { RawEventPattern, SpecContext } from './types';

/** Comma-separated, as the functions' `env.list()` reads it. */
export const list = (items: readonly string[]) => [...new Set(items)].join(',');

export const seconds = (value: { toSeconds(): number } | undefined, fallback: number) =>
  String(value?.toSeconds() ?? fallback);

/** The variables every function reads. */
export function commonEnvironment(ctx: SpecContext): Record<string, string> {
  return { STATE_TABLE: ctx.table.tableName, DRY_RUN: String(ctx.dryRun) };
}

/**
 * Item access to the state table, limited to the function's own partition keys (`dynamodb:LeadingKeys`
 * patterns: `drain#*` for a prefix, `capacity#web` for one key), so one function can't read or
 * overwrite another's state.
 */
export function stateTable(ctx: SpecContext, actions: string[], keys: string[], why: string): Permission {
  return {
    actions,
    resources: [ctx.table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } },
    why,
  };
}

/** Publishing to the alert topic; with a customer managed key, SNS encrypts with it as the publisher. */
export function publishAlerts(ctx: SpecContext, why: string): Permission[] {
  return [
    { actions: ['sns:Publish'], resources: [ctx.topic.topicArn], why },
    ...(ctx.topicKeyArn
      ? [
          {
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [ctx.topicKeyArn],
            why: "The alert topic is encrypted with this key; SNS uses it on the publisher's behalf.",
          },
        ]
      : []),
  ];
}

/** `ecs:cluster` condition for actions that take `*` as resource but honour the cluster key. */
export function inClusters(ctx: SpecContext) {
  return { ArnEquals: { 'ecs:cluster': ctx.props.clusters.map((cluster) => ctx.arns.cluster(cluster)) } };
}

export { ANY_RESOURCE };

/**
 * An imported ECS event pattern narrowed to the given clusters (default: the construct's), so a
 * deployment reacts to its own clusters only, as its IAM and reconcile passes do. Clusters are matched
 * by name (`detail.clusterArn` ending in `:cluster/<name>`) in this account and Region (the event's
 * `account` and `region`): the same set as their ARNs, in a form the SAM template can build from a
 * list parameter (CloudFormation joins a list only with a literal delimiter).
 */
export function forClusters(
  pattern: RawEventPattern,
  ctx: SpecContext,
  clusters: readonly string[] = ctx.props.clusters,
): RawEventPattern {
  const detail = (pattern.detail ?? {}) as Record<string, unknown>;
  const named = detail.clusterArn;
  if (named !== undefined && !(Array.isArray(named) && named.length === 0)) {
    throw new Error('The pattern already names its clusters');
  }
  return {
    ...pattern,
    account: [Aws.ACCOUNT_ID],
    region: [Aws.REGION],
    detail: { ...detail, clusterArn: clusters.map((cluster) => ({ suffix: `:cluster/${cluster}` })) },
  };
}
