import { describe, expect, it } from 'vitest';
import {
  dueTimesBetween,
  instantsOfWallTime,
  nextDueAfter,
  parseSchedule,
  periodMs,
  type Schedule,
} from './expression';

const schedule = (expression: string, timeZone?: string): Schedule => {
  const parsed = parseSchedule(expression, timeZone);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.schedule;
};
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const at = (text: string) => Date.parse(text);

describe('parseSchedule', () => {
  it('refuses what Scheduler refuses, saying why', () => {
    expect(parseSchedule('cron(0 2 * * * *)')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/"\?"/),
    });
    expect(parseSchedule('cron(0 2 * *)')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/six fields/),
    });
    expect(parseSchedule('cron(61 2 * * ? *)')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/minutes/),
    });
    expect(parseSchedule('cron(0 2 * * ? *)', 'Mars/Olympus')).toMatchObject({ ok: false });
    expect(parseSchedule('every day')).toMatchObject({ ok: false });
    expect(parseSchedule('rate(5 minutes)')).toMatchObject({ ok: true });
  });
});

describe('nextDueAfter', () => {
  it('a daily 02:30 New York job skips the spring-forward day (the time does not exist)', () => {
    const daily = schedule('cron(30 2 * * ? *)', 'America/New_York');
    expect(iso(nextDueAfter(daily, at('2026-03-07T07:30:00Z')))).toBe('2026-03-09T06:30:00.000Z');
  });

  it('a time repeated on fall-back day runs once, at its first instant', () => {
    const daily = schedule('cron(30 1 * * ? *)', 'America/New_York');
    const times = dueTimesBetween(daily, at('2026-10-31T12:00:00Z'), at('2026-11-02T12:00:00Z')).map(iso);
    expect(times).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    expect(instantsOfWallTime(at('2026-11-01T01:30:00Z'), 'America/New_York')).toHaveLength(2);
    expect(instantsOfWallTime(at('2026-03-08T02:30:00Z'), 'America/New_York')).toHaveLength(0);
  });

  it('lists, ranges, steps, names, L, W and #', () => {
    const utc = (expression: string, after: string) => iso(nextDueAfter(schedule(expression), at(after)));
    expect(utc('cron(0/15 * * * ? *)', '2026-01-01T00:07:00Z')).toBe('2026-01-01T00:15:00.000Z');
    expect(utc('cron(0 9 ? * MON-FRI *)', '2026-01-02T10:00:00Z')).toBe('2026-01-05T09:00:00.000Z');
    expect(utc('cron(0 0 L * ? *)', '2026-02-01T00:00:00Z')).toBe('2026-02-28T00:00:00.000Z');
    expect(utc('cron(0 0 1W * ? *)', '2026-02-15T00:00:00Z')).toBe('2026-03-02T00:00:00.000Z');
    expect(utc('cron(0 0 ? * 6L *)', '2026-01-01T00:00:00Z')).toBe('2026-01-30T00:00:00.000Z');
    expect(utc('cron(0 0 ? * 2#1 *)', '2026-01-01T00:00:00Z')).toBe('2026-01-05T00:00:00.000Z');
    expect(utc('cron(0 0 29 FEB ? *)', '2026-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(utc('cron(0 0 1 1 ? 2020)', '2026-01-01T00:00:00Z')).toBeUndefined();
  });

  it('the period of a schedule', () => {
    expect(periodMs(schedule('rate(2 hours)'), 0)).toBe(7_200_000);
    expect(periodMs(schedule('cron(0 * * * ? *)'), at('2026-01-01T00:30:00Z'))).toBe(3_600_000);
  });
});
