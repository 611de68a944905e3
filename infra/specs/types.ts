import type { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Arns } from '../arns';
import type { Permission } from '../permissions';
import type { EcsAutopilotProps, FunctionSettings } from '../props';

export const FUNCTION_NAMES = [
  'drain-instance',
  'run-scheduled-task',
  'detect-failed-start',
  'scale-capacity',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** An EventBridge event pattern as AWS writes it (`detail-type`, not `detailType`). */
export type RawEventPattern = Record<string, unknown>;

/** What starts a function: an event pattern or a schedule expression of an EventBridge rule. */
export type Trigger =
  | { readonly id: string; readonly description: string; readonly eventPattern: RawEventPattern }
  | { readonly id: string; readonly description: string; readonly schedule: string };

export interface SpecContext {
  readonly props: EcsAutopilotProps;
  readonly defaultCluster: string;
  readonly settings: FunctionSettings;
  readonly dryRun: boolean;
  readonly arns: Arns;
  readonly table: ITable;
  readonly topic: ITopic;
  /** The topic's customer managed key, when it has one. */
  readonly topicKeyArn?: string;
}

export interface FunctionDefaults {
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly reservedConcurrentExecutions?: number;
}

/**
 * How one function is deployed: derived from its own code (config.ts for the environment, rules.ts for
 * triggers, the shared/aws adapters it calls for permissions). The SAM template is checked against it.
 */
export interface FunctionSpec {
  readonly name: FunctionName;
  readonly description: string;
  readonly defaults: FunctionDefaults;
  environment(ctx: SpecContext): Record<string, string>;
  permissions(ctx: SpecContext): Permission[];
  triggers(ctx: SpecContext): Trigger[];
}
