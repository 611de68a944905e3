import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { env, loadConfig } from './config';
import { ConfigError } from './errors';

const shape = {
  STATE_TABLE: env.string(),
  DRY_RUN: env.boolean(false),
  DRAIN_DEADLINE_SECONDS: env.seconds(3600, { min: 60, max: 172_800 }),
  AUTO_SCALING_GROUPS: env.list(),
  POLICIES: env.json(z.record(z.string(), z.enum(['wait', 'stop'])), {}),
};

describe('loadConfig', () => {
  it('applies defaults and parses forms', () => {
    const config = loadConfig(shape, {
      STATE_TABLE: 'state',
      AUTO_SCALING_GROUPS: 'a, b,,c',
      POLICIES: '{"a":"stop"}',
    });
    expect(config).toEqual({
      STATE_TABLE: 'state',
      DRY_RUN: false,
      DRAIN_DEADLINE_SECONDS: 3600,
      AUTO_SCALING_GROUPS: ['a', 'b', 'c'],
      POLICIES: { a: 'stop' },
    });
  });

  it('names every bad variable, what it expects and what it got', () => {
    const load = () =>
      loadConfig(shape, { DRY_RUN: 'yes', DRAIN_DEADLINE_SECONDS: '10', POLICIES: '{"a":"kill"}' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/STATE_TABLE: expected a non-empty string \(got nothing\)/);
    expect(load).toThrow(/DRY_RUN: expected true or false \(got "yes"\)/);
    expect(load).toThrow(
      /DRAIN_DEADLINE_SECONDS: expected a whole number of seconds from 60 to 172800 \(got "10"\)/,
    );
    expect(load).toThrow(/POLICIES: .*\(got "\{\\"a\\":\\"kill\\"\}"\)/);
  });

  it('rejects JSON that does not parse', () => {
    expect(() => loadConfig(shape, { STATE_TABLE: 's', POLICIES: '{' })).toThrow(/POLICIES: expected JSON/);
  });
});

describe('env.number', () => {
  const percent = { PERCENT: env.number(25, { min: 0.1, max: 100 }) };
  it('takes fractions within its range, and its default when unset', () => {
    expect(loadConfig(percent, { PERCENT: '0.5' })).toEqual({ PERCENT: 0.5 });
    expect(loadConfig(percent, {})).toEqual({ PERCENT: 25 });
  });
  it('refuses numbers out of range and text', () => {
    expect(() => loadConfig(percent, { PERCENT: '0' })).toThrow(/PERCENT: expected a number from 0.1 to 100/);
    expect(() => loadConfig(percent, { PERCENT: 'lots' })).toThrow(/PERCENT: expected a number/);
  });
});
