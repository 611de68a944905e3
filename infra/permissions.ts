import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { flattenReference } from './flatten';

/**
 * One IAM statement with the reason it exists. The reason is the README's IAM table entry and, when a
 * resource holds a wildcard, the cdk-nag acknowledgement for exactly those resources.
 */
export interface Permission {
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
  readonly why: string;
}

/** The resource AWS requires when an action supports no resource-level permission. */
export const ANY_RESOURCE = '*';

/**
 * Adds each permission to the role as its own statement, and acknowledges the wildcard resources of
 * that statement (AwsSolutions-IAM5) on that role only, with the permission's reason.
 */
export function grantPermissions(role: iam.IRole, permissions: readonly Permission[]): void {
  const stack = Stack.of(role);
  for (const permission of permissions) {
    if (permission.actions.some((action) => action.includes('*'))) {
      throw new Error(`No wildcard actions: ${permission.actions.join(', ')}`);
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: permission.actions,
        resources: permission.resources,
        conditions: permission.conditions,
      }),
    );
    const wildcards = permission.resources
      .map((resource) => `Resource::${flattenReference(stack.resolve(resource))}`)
      .filter((finding) => finding.includes('*'));
    if (wildcards.length > 0) acknowledge(role, 'AwsSolutions-IAM5', permission.why, wildcards);
  }
}

/**
 * A cdk-nag acknowledgement on one resource (cdk-nag v3 also honours it on that construct's generated
 * children, e.g. a role's default policy). With findings, only those findings are acknowledged.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string, findings?: string[]): void {
  const ids = findings ? findings.map((finding) => `${id}[${finding}]`) : [id];
  for (const ruleId of ids) Validations.of(scope).acknowledge({ id: ruleId, reason });
}
