import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../infra/specs';
import { resolveTemplate } from './cfn-resolve';
import { matchesPattern } from './event-pattern';
import { logicalIdOf, ROOT_ID, synthExample, templateOf } from './fixture';

/**
 * Every sample event in events/<function>/ reaches its function: it matches one of the function's
 * deployed EventBridge rules (or is the input of one of its Scheduler schedules). Samples meant to be
 * rejected by the handler (malformed, foreign) are left out. And every trigger has a sample.
 */

const SKIPPED = /malformed|foreign/i;

/** Samples the rules drop on purpose (the handler would ignore them anyway): they must not match. */
const DROPPED_BY_RULE: Record<string, string[]> = {
  // The rule keeps stops without startedAt or with TaskFailedToStart; a task that ran is not its business.
  'detect-failed-start': ['ran-then-stopped.json'],
};

type Resource = { Type: string; Properties: Record<string, unknown> };
type Trigger = { id: string; accepts: (event: unknown) => boolean };

const { stack, autopilot } = synthExample();
// Patterns may hold ARNs built from pseudo parameters: read them as deployed in the sample account.
const SAMPLE_ACCOUNT = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
};
const resources = JSON.parse(
  Object.entries(SAMPLE_ACCOUNT).reduce(
    (text, [name, value]) => text.replaceAll(`\${${name}}`, value),
    JSON.stringify(resolveTemplate(templateOf(stack).json).resources),
  ),
) as Record<string, Resource>;

/** What EventBridge delivers for a rule with a schedule expression. */
const SCHEDULED_EVENT = { source: ['aws.events'], 'detail-type': ['Scheduled Event'] };

function triggersOf(functionLogicalId: string): Trigger[] {
  const targets = (arn: unknown) => arn === `\${${functionLogicalId}.Arn}`;
  const triggers: Trigger[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::Events::Rule') {
      const ruleTargets = resource.Properties.Targets as { Arn: unknown }[];
      if (!ruleTargets.some((target) => targets(target.Arn))) continue;
      const pattern = (resource.Properties.EventPattern ?? SCHEDULED_EVENT) as Record<string, unknown>;
      triggers.push({ id, accepts: (event) => matchesPattern(pattern, event) });
    }
    if (resource.Type === 'AWS::Scheduler::Schedule') {
      const target = resource.Properties.Target as { Arn: unknown; Input: string };
      if (!targets(target.Arn)) continue;
      const input = JSON.parse(target.Input) as Record<string, unknown>;
      // Scheduler sends the input as written, its <aws.scheduler.*> placeholders filled in: a sample
      // has the job and no field the input lacks.
      triggers.push({
        id,
        accepts: (event) =>
          typeof event === 'object' &&
          event !== null &&
          'job' in event &&
          Object.keys(event).every((key) => key in input),
      });
    }
  }
  return triggers;
}

describe.each(FUNCTION_SPECS.map((spec) => spec.name))('sample events of %s', (name) => {
  const fn = autopilot.functions[name];
  const folder = join('events', name);
  const files = existsSync(folder) ? readdirSync(folder).filter((file) => file.endsWith('.json')) : [];
  const dropped = DROPPED_BY_RULE[name] ?? [];
  const samples = files.filter((file) => !SKIPPED.test(file) && !dropped.includes(file));
  const logicalId = fn ? logicalIdOf(fn) : '';
  const triggers = fn ? triggersOf(logicalId) : [];

  it('has deployed triggers and sample events', () => {
    expect(fn, `${name} is deployed by the example app`).toBeDefined();
    expect(logicalId.startsWith(ROOT_ID)).toBe(true);
    expect(triggers.length).toBeGreaterThan(0);
    expect(samples.length).toBeGreaterThan(0);
  });

  it.each(samples)('%s matches one of its rules', (file) => {
    const event: unknown = JSON.parse(readFileSync(join(folder, file), 'utf8'));
    const matching = triggers.filter((trigger) => trigger.accepts(event)).map((trigger) => trigger.id);
    expect(matching, `${file} matches no rule of ${name}`).not.toEqual([]);
  });

  it.each(dropped)('%s is dropped by its rules', (file) => {
    const event: unknown = JSON.parse(readFileSync(join(folder, file), 'utf8'));
    expect(triggers.filter((trigger) => trigger.accepts(event)).map((trigger) => trigger.id)).toEqual([]);
  });

  it('has a sample event for every trigger', () => {
    const events = samples.map((file) => JSON.parse(readFileSync(join(folder, file), 'utf8')) as unknown);
    const untested = triggers
      .filter((trigger) => !events.some((event) => trigger.accepts(event)))
      .map((t) => t.id);
    expect(untested).toEqual([]);
  });
});
