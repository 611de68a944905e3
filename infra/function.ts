import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Repository root: entries, package-lock.json and tsconfig.json live there. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda runtime every function is built and tested for (esbuild target node22). */
export const RUNTIME = Runtime.NODEJS_22_X;

export interface AutopilotFunctionProps {
  /** Folder under functions/, e.g. `drain-instance`. */
  readonly functionDir: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Failed asynchronous invocations (after Lambda's own retries, or too old) land here. */
  readonly onFailureQueue: sqs.IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly reservedConcurrentExecutions?: number;
  readonly tracing: boolean;
}

/**
 * One Lambda function of ecs-autopilot with every default in one place: Node 22 on arm64, one minified
 * ESM bundle with source maps (the same esbuild settings as scripts/build.ts), its own log group with
 * retention, an on-failure destination for asynchronous invocations, and a role of its own that starts
 * with nothing but writing to that log group (no AWS managed policy).
 */
export class AutopilotFunction extends NodejsFunction {
  readonly functionDir: string;

  constructor(scope: Construct, id: string, props: AutopilotFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `ecs-autopilot ${props.functionDir}`,
    });
    // Replaces AWSLambdaBasicExecutionRole: the log group exists already, so only streams and events.
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: join(PROJECT_ROOT, 'functions', props.functionDir, 'index.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      onFailure: new SqsDestination(props.onFailureQueue),
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // The SDK v3 in the runtime may lag the one we test with: bundle ours.
        externalModules: [],
        // Some CommonJS dependencies call require(); give the ESM bundle one (as scripts/build.ts does).
        banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
        forceDockerBundling: false,
      },
    });
    this.functionDir = props.functionDir;
  }
}
