// The package's entry point (`import { EcsAutopilot } from 'ecs-autopilot'`): the construct and the
// types of its props. Built into lib/ by `npm run build:package` (ESM and CommonJS, with declarations).
export type { AlarmDoc, AlarmKind } from './alarms';
export { ALARM_DOCS } from './alarms';
export { EcsAutopilot } from './ecs-autopilot';
export type { AutopilotFunctionProps } from './function';
export { AutopilotFunction, RUNTIME } from './function';
export type { Permission } from './permissions';
export type {
  AlertsConfig,
  AutoScalingGroupConfig,
  CapacityProviderConfig,
  DetectFailedStartSettings,
  DrainInstanceSettings,
  EcsAutopilotProps,
  FunctionSettings,
  JobConfig,
  JobDefinition,
  RunScheduledTaskSettings,
  ScaleCapacitySettings,
} from './props';
export type { FunctionName } from './specs/types';
