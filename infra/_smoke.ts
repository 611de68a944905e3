import { App } from 'aws-cdk-lib';
import { buildApp } from './app';

const app = new App({
  context: { 'aws:cdk:bundling-stacks': [] },
  outdir: '/tmp/smoke-out',
  builtinCloudFormationValidation: false,
});
buildApp(app);
try {
  app.synth();
  console.log('ok');
} catch (e) {
  console.log((e as Error).message);
}
