import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLE_FILE, BUNDLE_OPTIONS } from './bundle-options';

/** Where this module is: infra/ in the repository, lib/ in the installed package. */
const HERE = dirname(fileURLToPath(import.meta.url));

/** Repository root (functions/ and shared/ live there); in the package, where lib/ is. */
export const PROJECT_ROOT = join(HERE, '..');

/** The Lambda runtime every function is built and tested for (esbuild target node22). */
export const RUNTIME = Runtime.NODEJS_22_X;

/**
 * A function's code. The installed package carries each bundle prebuilt (lib/assets/<name>, made by
 * `npm run build:package` with the settings of `npm run build`), so an app's synth needs neither esbuild
 * nor our lock file. In this repository the bundle is built at synth from the sources, with the same
 * settings, by esbuild (a development dependency, loaded only then).
 */
export function functionCode(functionDir: string): Code {
  const prebuilt = join(HERE, 'assets', functionDir);
  if (existsSync(join(prebuilt, BUNDLE_FILE))) return Code.fromAsset(prebuilt);
  const entry = join(PROJECT_ROOT, 'functions', functionDir, 'index.ts');
  return Code.fromAsset(join(PROJECT_ROOT, 'functions', functionDir), {
    // The bundle also holds shared/ and dependencies: hash what is built, not the folder.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds or throws (no Docker needed).
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      local: {
        tryBundle(outputDir: string) {
          const esbuild = createRequire(import.meta.url)('esbuild') as {
            buildSync(options: Record<string, unknown>): unknown;
          };
          esbuild.buildSync({
            ...BUNDLE_OPTIONS,
            entryPoints: [entry],
            outfile: join(outputDir, BUNDLE_FILE),
          });
          return true;
        },
      },
    },
  });
}

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
 * ESM bundle with source maps (infra/bundle-options.ts, as scripts/build.ts), its own log group with
 * retention, an on-failure destination for asynchronous invocations, and a role of its own that starts
 * with nothing but writing to that log group (no AWS managed policy).
 */
export class AutopilotFunction extends LambdaFunction {
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
      code: functionCode(props.functionDir),
      handler: 'index.handler',
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
    });
    this.functionDir = props.functionDir;
  }
}
