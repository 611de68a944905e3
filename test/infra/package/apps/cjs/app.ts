// A CommonJS CDK app (TypeScript compiled by tsc to require()) using the installed package.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EcsAutopilot, type EcsAutopilotProps } from 'ecs-autopilot';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Autopilot');
const props: EcsAutopilotProps = {
  clusters: ['web'],
  autoScalingGroups: [
    { autoScalingGroupName: 'web-asg', cluster: 'web', standaloneTasks: { stopAfter: Duration.minutes(10) } },
  ],
  capacityProviders: [{ name: 'web-asg-cp', cluster: 'web', autoScalingGroupName: 'web-asg' }],
  alerts: { emails: ['oncall@example.com'] },
};
new EcsAutopilot(stack, 'EcsAutopilot', props);
// cdk-nag v3 is a validation plugin: synth fails on any unacknowledged finding.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
