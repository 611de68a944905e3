/** Demo: Auto Scaling scales in an instance; drain-instance drains it and lets the termination continue. */
import type { DrainSummary } from '../../functions/drain-instance/handle';
import { SAMPLE } from '../../test/local-aws/index';
import type { DemoScenario } from './types';

const TICK = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
// Short Lambda timeouts: each invocation does one pass, the every-minute reconcile carries the drain on.
const ONE_PASS = { timeoutMs: 12_000 };

export const scenario: DemoScenario = {
  title: 'Scale-in: drain an instance before Auto Scaling terminates it',
  function: 'drain-instance',
  env: {
    AUTO_SCALING_GROUPS: SAMPLE.group,
    LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
    POLL_INTERVAL_SECONDS: '10',
    STANDALONE_TASK_POLICY: '{"*":"wait"}',
  },
  async run({ aws, narrate, invoke }) {
    const { world } = aws;
    world.setDesiredCapacity(SAMPLE.group, 4);
    world.advance(120_000);
    narrate(`${SAMPLE.group} scaled out to 4 instances, so the tasks have somewhere to go.`);

    world.takeEvents();
    world.setDesiredCapacity(SAMPLE.group, 3);
    const [event] = world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });
    if (!event) return { ok: false, summary: 'no lifecycle event after the scale-in' };
    const instanceId = String(event.detail.EC2InstanceId);
    const describe = () => {
      const instance = world.findContainerInstance(instanceId);
      if (!instance) return 'nothing (deregistered)';
      return world
        .tasksOn(instance)
        .filter((task) => task.lastStatus !== 'STOPPED')
        .map(
          (task) =>
            `${task.family} ${task.lastStatus}${task.desiredStatus === 'STOPPED' ? ' (told to stop)' : ''}`,
        )
        .join(', ');
    };
    narrate(`Scale-in picked ${instanceId}: Terminating:Wait on hook ${SAMPLE.hook}. On it: ${describe()}.`);
    const started = world.now();

    let summary = (await invoke('drain-instance', event, ONE_PASS)) as DrainSummary;
    narrate(
      `Lifecycle event → drain-instance set it DRAINING; ${summary.instances[0]?.remainingTasks ?? '?'} task(s) to wait for (the daemon task is not waited for).`,
    );

    for (let pass = 1; pass <= 10 && summary.instances[0]?.outcome !== 'completed'; pass++) {
      world.advance(20_000);
      narrate(`+${Math.round((world.now() - started) / 1000)} s: ${describe() || 'no task left running'}.`);
      summary = (await invoke('drain-instance', TICK, ONE_PASS)) as DrainSummary;
    }
    const outcome = summary.instances[0];
    if (outcome?.outcome !== 'completed')
      return { ok: false, summary: `drain did not complete (${outcome?.outcome})` };
    narrate(
      `Reconcile pass: every task on it reports STOPPED (STOPPING is not enough) → CompleteLifecycleAction CONTINUE.`,
    );

    world.advance(60_000);
    const api = world.tasks({ service: 'api', lastStatus: 'RUNNING' });
    const elsewhere = api.every((task) => task.ec2InstanceId !== instanceId);
    const gone = world.group(SAMPLE.group)?.instances.every((instance) => instance.instanceId !== instanceId);
    narrate(
      `api runs ${api.length}/4 tasks, all on other instances: ${elsewhere}. ${instanceId} terminated: ${gone}.`,
    );
    const seconds = Math.round(
      ((aws.calls.list('autoscaling:CompleteLifecycleAction')[0]?.at ?? 0) - started) / 1000,
    );
    return {
      ok: api.length === 4 && elsewhere && gone === true,
      summary: `${instanceId} drained in ${seconds} s of cluster time, hook completed, api kept 4 tasks`,
    };
  },
};
