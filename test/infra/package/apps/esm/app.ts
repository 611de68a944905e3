// An ES module CDK app (TypeScript compiled by tsc, node16 resolution) using the installed package.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EcsAutopilot } from 'ecs-autopilot';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Autopilot');
const autopilot = new EcsAutopilot(stack, 'EcsAutopilot', {
  clusters: ['web', 'batch'],
  autoScalingGroups: [
    { autoScalingGroupName: 'web-asg', cluster: 'web' },
    { autoScalingGroupName: 'batch-asg', cluster: 'batch' },
  ],
  capacityProviders: [{ name: 'batch-cp', cluster: 'batch', autoScalingGroupName: 'batch-asg' }],
  jobs: [
    {
      job: {
        name: 'nightly-report',
        cluster: 'batch',
        taskDefinition: 'report:7',
        concurrencyPolicy: 'Forbid',
      },
      schedule: ScheduleExpression.expression('cron(0 2 * * ? *)'),
    },
  ],
});
if (autopilot.alarms.length === 0) throw new Error('no alarms');
// cdk-nag v3 is a validation plugin: synth fails on any unacknowledged finding.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
