import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configShape as failedStartConfig } from '../../functions/detect-failed-start/config';
import { configShape as drainConfig } from '../../functions/drain-instance/config';
import { configShape as scheduleConfig } from '../../functions/run-scheduled-task/config';
import { configShape as capacityConfig } from '../../functions/scale-capacity/config';
import { sampleJob } from '../../infra/app';
import { FUNCTION_SPECS } from '../../infra/specs';
import { buildFunction, DIST_DIR } from '../../scripts/build';
import { loadConfig } from '../../shared/runtime/config';
import { loadCfnYaml, parseCfnYaml } from './cfn-yaml';
import { cdkModel, type DeploymentModel, differences, samModel } from './deployment-model';
import { ROOT_ID, synthExample, templateOf } from './fixture';

/**
 * template.yaml (SAM) and the CDK construct deploy the same thing, and both match the code: same
 * functions and handlers, event patterns, schedules, IAM statements, environment, async settings,
 * table, topic, queues, log groups, hooks and alarms. The SAM template is read with its default
 * parameters, which describe the example app's sample universe.
 */

const CONFIG_SHAPES: Record<string, Parameters<typeof loadConfig>[0]> = {
  'drain-instance': drainConfig,
  'run-scheduled-task': scheduleConfig,
  'detect-failed-start': failedStartConfig,
  'scale-capacity': capacityConfig,
};

/** The SAM parameters of the example app's sample universe (the other defaults already are). */
const SAMPLE_PARAMETERS = {
  JobNames: 'nightlyreport',
  JobTaskDefinitionFamilies: 'report',
};

/** Two clusters, a group and a capacity provider in each: the example app and SAM, configured alike. */
const TWO_CLUSTERS = {
  cdk: {
    clusters: 'web,batch',
    autoScalingGroups: 'web-asg=web,batch-asg=batch',
    capacityProviders: 'web-asg-cp=web-asg,batch-cp=batch-asg',
  },
  sam: {
    ...SAMPLE_PARAMETERS,
    ClusterNames: 'web,batch',
    AutoScalingGroupNames: 'web-asg,batch-asg',
    AutoScalingGroupClusters: 'batch-asg=batch',
    CapacityProviderNames: 'web-asg-cp,batch/batch-cp',
    CapacityProviderGroupNames: 'web-asg,batch-asg',
  },
};

const samText = readFileSync('template.yaml', 'utf8');
const { stack } = synthExample();
const cdkJson = templateOf(stack).json;
const cdk = cdkModel(cdkJson, ROOT_ID);
const sam = samModel(parseCfnYaml(samText), SAMPLE_PARAMETERS);

/** Function name in templates (`DrainInstance`) → folder (`drain-instance`). */
const folderOf = (name: string) => name.replace(/[A-Z]/g, (c, i) => (i === 0 ? '' : '-') + c.toLowerCase());

describe('SAM template and CDK construct', () => {
  it('deploy the same functions, triggers, permissions, environment and resources', () => {
    expect(differences(cdk, sam)).toEqual([]);
  });

  it('also without jobs: no schedule, no RunTask grant (SAM defaults, example app without jobs)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'ecs-autopilot-'));
    const noJobs = join(folder, 'jobs.json');
    writeFileSync(noJobs, '[]');
    const cdkWithout = cdkModel(
      templateOf(synthExample({ context: { jobsFile: noJobs } }).stack).json,
      ROOT_ID,
    );
    expect(differences(cdkWithout, samModel(parseCfnYaml(samText)))).toEqual([]);
    expect(cdkWithout.functions.RunScheduledTask.permissions.join('\n')).not.toContain('ecs:RunTask');
  });

  it('also with two clusters: per-cluster grants, patterns, hooks in each group’s cluster, providers of both', () => {
    const cdkTwo = cdkModel(templateOf(synthExample({ context: TWO_CLUSTERS.cdk }).stack).json, ROOT_ID);
    const samTwo = samModel(parseCfnYaml(samText), TWO_CLUSTERS.sam);
    expect(differences(cdkTwo, samTwo)).toEqual([]);
    // What the comparison saw: each hook names its group's cluster, each cluster is granted.
    const hooks = samTwo.resources['AWS::AutoScaling::LifecycleHook'].join('\n');
    expect(hooks).toContain(
      '"AutoScalingGroupName":"batch-asg","DefaultResult":"CONTINUE","HeartbeatTimeout":5400,"LifecycleHookName":"ecs-autopilot-drain","LifecycleTransition":"autoscaling:EC2_INSTANCE_TERMINATING","NotificationMetadata":"{\\"cluster\\":\\"batch\\"}"',
    );
    expect(hooks).toContain('"NotificationMetadata":"{\\"cluster\\":\\"web\\"}"');
    for (const fn of Object.values(samTwo.functions)) {
      expect(fn.environment.DEFAULT_CLUSTER).toBe('web');
    }
    const permissions = samTwo.functions.DetectFailedStart.permissions.join('\n');
    expect(permissions).toContain(':task/batch/*');
    expect(permissions).toContain(':task/web/*');
    expect(samTwo.functions.ScaleCapacity.environment.CAPACITY_PROVIDERS).toBe('web-asg-cp,batch/batch-cp');
  });

  it('also with a chat topic: CHAT_TOPIC_ARN and sns:Publish on it for detect-failed-start only', () => {
    const chat = 'arn:aws:sns:us-east-1:123456789012:chat';
    const cdkChat = cdkModel(
      templateOf(synthExample({ context: { chatTopicArn: chat } }).stack).json,
      ROOT_ID,
    );
    const samChat = samModel(parseCfnYaml(samText), { ...SAMPLE_PARAMETERS, ChatTopicArn: chat });
    expect(differences(cdkChat, samChat)).toEqual([]);
    expect(samChat.functions.DetectFailedStart.environment.CHAT_TOPIC_ARN).toBe(chat);
    expect(samChat.functions.DetectFailedStart.permissions).toContain(`Allow sns:Publish ${chat}`);
    expect(samChat.functions.RunScheduledTask.permissions.join('\n')).not.toContain(chat);
    // Without one, neither the variable nor the grant.
    expect(sam.functions.DetectFailedStart.environment.CHAT_TOPIC_ARN).toBeUndefined();
    expect(sam.functions.DetectFailedStart.environment.GROUP_WAIT_SECONDS).toBe(30);
  });

  it('schedule each job of JobNames with its schedule in the job (and none without)', () => {
    const [trigger] = sam.functions.RunScheduledTask.triggers.filter((t) => t.includes('"scheduler"'));
    const input = (JSON.parse(trigger) as { input: { job: Record<string, unknown> } }).input;
    expect(input.job).toEqual({
      ...sampleJob('web'),
      schedule: 'cron(0 2 * * ? *)',
      timeZone: 'UTC',
      flexibleTimeWindowMinutes: 5,
    });
    const none = samModel(parseCfnYaml(samText));
    expect(none.functions.RunScheduledTask.triggers.filter((t) => t.includes('"scheduler"'))).toEqual([]);
  });

  it('deploy every function of the project', () => {
    const expected = FUNCTION_SPECS.map((spec) => spec.name).sort();
    expect(Object.keys(cdk.functions).map(folderOf).sort()).toEqual(expected);
    expect(Object.keys(sam.functions).map(folderOf).sort()).toEqual(expected);
  });

  it('build each function from its own entry point with the same esbuild settings', () => {
    const template = loadCfnYaml('template.yaml');
    for (const spec of FUNCTION_SPECS) {
      const name = Object.keys(sam.functions).find((fn) => folderOf(fn) === spec.name) as string;
      const metadata = template.Resources[name].Metadata as {
        BuildMethod: string;
        BuildProperties: Record<string, unknown>;
      };
      expect(metadata.BuildMethod).toBe('esbuild');
      expect(metadata.BuildProperties).toMatchObject({
        EntryPoints: [`functions/${spec.name}/index.ts`],
        Format: 'esm',
        OutExtension: ['.js=.mjs'],
        Target: 'node22',
        Minify: true,
        Sourcemap: true,
      });
      expect(existsSync(join('functions', spec.name, 'index.ts'))).toBe(true);
    }
  });
});

describe('handlers', () => {
  beforeAll(async () => {
    await Promise.all(FUNCTION_SPECS.map((spec) => buildFunction(spec.name)));
  }, 60_000);

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s: the handler both templates name is exported by the bundle npm run build makes',
    (name) => {
      const fn = Object.entries(cdk.functions).find(([key]) => folderOf(key) === name)?.[1];
      const [file, exported] = String(fn?.handler).split('.');
      const bundle = join(DIST_DIR, name, `${file}.mjs`);
      expect(existsSync(bundle)).toBe(true);
      const meta = JSON.parse(readFileSync(join(DIST_DIR, name, 'meta.json'), 'utf8')) as {
        outputs: Record<string, { exports: string[] }>;
      };
      const output = Object.entries(meta.outputs).find(([path]) => path.endsWith(`${name}/${file}.mjs`))?.[1];
      expect(output?.exports).toContain(exported);
    },
  );
});

describe('environment', () => {
  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    "%s: the deployed variables pass the function's own configuration check",
    (name) => {
      const shape = CONFIG_SHAPES[name];
      expect(shape, `add ${name}'s configShape to this test`).toBeDefined();
      const fn = Object.entries(cdk.functions).find(([key]) => folderOf(key) === name)?.[1];
      const environment = Object.fromEntries(
        Object.entries(fn?.environment ?? {}).map(([key, value]) => [key, String(value)]),
      );
      expect(() => loadConfig(shape, environment)).not.toThrow();
      // Every variable set is one the function reads (or the runtime's own).
      const known = new Set([...Object.keys(shape), 'NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL']);
      expect(Object.keys(environment).filter((key) => !known.has(key))).toEqual([]);
    },
  );
});

describe('the comparison notices a change on one side', () => {
  const samWith = (from: string, to: string): DeploymentModel => {
    expect(samText).toContain(from);
    return samModel(parseCfnYaml(samText.replace(from, to)), SAMPLE_PARAMETERS);
  };

  it('in an event pattern', () => {
    const changed = samWith(
      'detail-type: [EC2 Spot Instance Interruption Warning]',
      'detail-type: [EC2 Spot Instance Request Fulfillment]',
    );
    expect(differences(cdk, changed).join('\n')).toMatch(/DrainInstance triggers: only in/);
  });

  it('in a handler path', () => {
    const changed = samWith(
      'Handler: index.handler\n      Description: Drains',
      'Handler: main.handler\n      Description: Drains',
    );
    expect(differences(cdk, changed).join('\n')).toMatch(/DrainInstance handler/);
  });

  it('in an IAM action', () => {
    const changed = samWith(
      'Action: [ecs:DescribeContainerInstances, ecs:UpdateContainerInstancesState]',
      'Action: [ecs:DescribeContainerInstances]',
    );
    expect(differences(cdk, changed).join('\n')).toMatch(
      /permissions: only in CDK: Allow ecs:UpdateContainerInstancesState/,
    );
  });

  it('in an environment variable', () => {
    const changed = samWith('DRAIN_DEADLINE_SECONDS:', 'DRAIN_DEADLINE:');
    expect(differences(cdk, changed).join('\n')).toMatch(/environment DRAIN_DEADLINE_SECONDS/);
  });

  it('in the cluster of a group of another cluster, and in a cluster list', () => {
    const cdkTwo = cdkModel(templateOf(synthExample({ context: TWO_CLUSTERS.cdk }).stack).json, ROOT_ID);
    const unmapped = samModel(parseCfnYaml(samText), { ...TWO_CLUSTERS.sam, AutoScalingGroupClusters: '' });
    expect(differences(cdkTwo, unmapped).join('\n')).toMatch(
      /LifecycleHook: only in CDK: .*batch-asg.*batch/,
    );
    const oneCluster = samModel(parseCfnYaml(samText), { ...TWO_CLUSTERS.sam, ClusterNames: 'web' });
    expect(differences(cdkTwo, oneCluster).join('\n')).toMatch(
      /DetectFailedStart permissions: only in CDK: .*task\/batch/,
    );
  });

  it('in a lifecycle hook', () => {
    const changed = samWith('DefaultResult: CONTINUE', 'DefaultResult: ABANDON');
    expect(differences(cdk, changed).join('\n')).toMatch(/AWS::AutoScaling::LifecycleHook: only in/);
  });
});
