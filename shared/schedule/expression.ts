/**
 * EventBridge Scheduler schedule expressions, evaluated as Scheduler does: `rate(value unit)` and
 * `cron(minutes hours day-of-month month day-of-week year)` in the schedule's time zone (IANA name,
 * UTC by default), `at(yyyy-mm-ddThh:mm:ss)` once. Daylight saving as the Scheduler user guide ("Schedule
 * types in EventBridge Scheduler", section "Daylight saving time") says: a cron time that does not exist
 * on spring-forward day is skipped, and a time that repeats on fall-back day runs once.
 * Time-zone arithmetic uses Intl (no dependency); nothing here does I/O.
 *
 * Cron syntax: "Cron expressions reference" in the same guide: `,` `-` `*` `/` everywhere; `?` in
 * day-of-month or day-of-week (one of the two must be `?`); `L` and `W` in day-of-month; `L` and `#` in
 * day-of-week; months JAN-DEC, weekdays SUN-SAT (1 = SUN ... 7 = SAT).
 */

export type Schedule =
  | { kind: 'rate'; everyMs: number; expression: string }
  | { kind: 'at'; atMs: number; expression: string }
  | { kind: 'cron'; cron: Cron; timeZone: string; expression: string };

interface Cron {
  minutes: number[];
  hours: number[];
  months: Set<number>;
  years: Set<number> | undefined;
  dayOfMonth: DayOfMonth;
  dayOfWeek: DayOfWeek;
}
type DayOfMonth =
  | { kind: 'any' }
  | { kind: 'days'; days: Set<number> }
  | { kind: 'last'; offset: number }
  | { kind: 'weekday'; day: number | 'last' };
type DayOfWeek =
  | { kind: 'any' }
  | { kind: 'days'; days: Set<number> }
  | { kind: 'last'; day: number }
  | { kind: 'nth'; day: number; nth: number };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Throws an Error whose message says what is wrong; `parseSchedule` turns it into a result. */
function fail(message: string): never {
  throw new Error(message);
}

function number(text: string, names: readonly string[] | undefined, offset: number, what: string): number {
  const upper = text.toUpperCase();
  const named = names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + offset;
  if (!/^\d+$/.test(text)) fail(`${what}: "${text}" is not a number${names ? ' or a name' : ''}`);
  return Number(text);
}

/** A field of plain values: `*`, `a`, `a-b`, `a/n`, `a-b/n`, `*\/n`, lists of these. */
function values(
  field: string,
  min: number,
  max: number,
  what: string,
  names?: readonly string[],
  nameOffset = min,
) {
  const result = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : number(stepText, undefined, 0, what);
    if (step < 1) fail(`${what}: step must be at least 1`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = number(a, names, nameOffset, what);
      to = number(b, names, nameOffset, what);
    } else {
      from = number(range, names, nameOffset, what);
      to = stepText === undefined ? from : max;
    }
    if (from < min || to > max || from > to) fail(`${what}: "${part}" is outside ${min}-${max}`);
    for (let value = from; value <= to; value += step) result.add(value);
  }
  return result;
}

function dayOfMonth(field: string): DayOfMonth {
  if (field === '?' || field === '*') return { kind: 'any' };
  if (field === 'L') return { kind: 'last', offset: 0 };
  const lastMinus = /^L-(\d+)$/.exec(field);
  if (lastMinus) return { kind: 'last', offset: Number(lastMinus[1]) };
  if (field === 'LW') return { kind: 'weekday', day: 'last' };
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) {
    const day = Number(weekday[1]);
    if (day < 1 || day > 31) fail(`day-of-month: "${field}" is outside 1-31`);
    return { kind: 'weekday', day };
  }
  return { kind: 'days', days: values(field, 1, 31, 'day-of-month') };
}

function dayOfWeek(field: string): DayOfWeek {
  if (field === '?' || field === '*') return { kind: 'any' };
  const last = /^(\w+)L$/i.exec(field);
  if (last?.[1]) return { kind: 'last', day: number(last[1], WEEKDAYS, 1, 'day-of-week') - 1 };
  const nth = /^(\w+)#([1-5])$/i.exec(field);
  if (nth?.[1])
    return { kind: 'nth', day: number(nth[1], WEEKDAYS, 1, 'day-of-week') - 1, nth: Number(nth[2]) };
  // 1 = SUN ... 7 = SAT; kept as JavaScript's 0 = Sunday.
  return {
    kind: 'days',
    days: new Set([...values(field, 1, 7, 'day-of-week', WEEKDAYS, 1)].map((d) => d - 1)),
  };
}

/** Whether Intl knows the time zone (an IANA name such as America/New_York, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule expression; `timeZone` is the schedule's (ScheduleExpressionTimezone), UTC by default. */
export function parseSchedule(
  expression: string,
  timeZone = 'UTC',
): { ok: true; schedule: Schedule } | { ok: false; message: string } {
  try {
    return { ok: true, schedule: parse(expression.trim(), timeZone) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function parse(expression: string, timeZone: string): Schedule {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) fail('rate: the value must be at least 1');
    const unit = (rate[2] as string).replace(/s$/, '');
    return { kind: 'rate', everyMs: value * (UNIT_MS[unit] as number), expression };
  }
  const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  if (at?.[1]) {
    if (!isTimeZone(timeZone)) fail(`unknown time zone "${timeZone}"`);
    const wall = Date.parse(`${at[1]}Z`);
    if (Number.isNaN(wall)) fail(`at: "${at[1]}" is not a date and time`);
    const [atMs] = instantsOfWallTime(wall, timeZone);
    return { kind: 'at', atMs: atMs ?? wall, expression };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron?.[1]) fail('a schedule expression is rate(value unit), cron(fields) or at(yyyy-mm-ddThh:mm:ss)');
  if (!isTimeZone(timeZone)) fail(`unknown time zone "${timeZone}"`);
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) fail('cron: six fields (minutes hours day-of-month month day-of-week year)');
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?'))
    fail('cron: one of day-of-month and day-of-week must be "?", not both');
  return {
    kind: 'cron',
    timeZone,
    expression,
    cron: {
      minutes: [...values(minutes, 0, 59, 'minutes')].sort((a, b) => a - b),
      hours: [...values(hours, 0, 23, 'hours')].sort((a, b) => a - b),
      dayOfMonth: dayOfMonth(dom),
      months: values(month, 1, 12, 'month', MONTHS, 1),
      dayOfWeek: dayOfWeek(dow),
      years: year === '*' ? undefined : values(year, 1970, 2199, 'year'),
    },
  };
}

// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock time in `timeZone` at instant `ms`, as if it were UTC (epoch ms). */
function wallTime(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

const offsetAt = (ms: number, timeZone: string) => wallTime(ms, timeZone) - Math.floor(ms / 1000) * 1000;

/**
 * The instants at which the wall clock of `timeZone` shows `wall` (a wall time encoded as UTC ms): none
 * in a spring-forward gap, two in a fall-back repeat, else one. Sorted.
 */
export function instantsOfWallTime(wall: number, timeZone: string): number[] {
  const offsets = new Set([offsetAt(wall - 86_400_000, timeZone), offsetAt(wall + 86_400_000, timeZone)]);
  const instants = [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => offsetAt(instant, timeZone) === wall - instant);
  return [...new Set(instants)].sort((a, b) => a - b);
}

// Cron evaluation, one local day at a time

const DAY_MS = 86_400_000;
const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysInMonth(year, month);
  const target = Math.min(day, last);
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay();
  if (weekday === 6) return target === 1 ? 3 : target - 1; // Saturday: Friday, or Monday the 3rd
  if (weekday === 0) return target === last ? target - 2 : target + 1; // Sunday: Monday, or Friday
  return target;
}

function dayMatches(cron: Cron, year: number, month: number, day: number): boolean {
  if (!cron.months.has(month) || (cron.years && !cron.years.has(year))) return false;
  const last = daysInMonth(year, month);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const dom = cron.dayOfMonth;
  switch (dom.kind) {
    case 'days':
      if (!dom.days.has(day)) return false;
      break;
    case 'last':
      if (day !== last - dom.offset) return false;
      break;
    case 'weekday':
      if (day !== nearestWeekday(year, month, dom.day === 'last' ? last : dom.day)) return false;
      break;
    case 'any':
      break;
  }
  const dow = cron.dayOfWeek;
  switch (dow.kind) {
    case 'days':
      return dow.days.has(weekday);
    case 'last':
      return weekday === dow.day && day + 7 > last;
    case 'nth':
      return weekday === dow.day && Math.ceil(day / 7) === dow.nth;
    case 'any':
      return true;
  }
}

/** How far ahead a cron schedule is searched (a yearly or leap-day schedule fits, a dead one ends). */
const SEARCH_DAYS = 366 * 8 + 1;

/**
 * The first due time of the schedule strictly after `afterMs`, or undefined (none within eight years,
 * or a one-time schedule already past). A rate has no phase of its own here: its due times are counted
 * from `afterMs`, which should be a due time of it.
 */
export function nextDueAfter(schedule: Schedule, afterMs: number): number | undefined {
  if (schedule.kind === 'rate') return afterMs + schedule.everyMs;
  if (schedule.kind === 'at') return schedule.atMs > afterMs ? schedule.atMs : undefined;
  const { cron, timeZone } = schedule;
  // Start a day early: the local date of `afterMs` may be the day before in UTC terms.
  const startWall = wallTime(afterMs, timeZone);
  const firstDay = Math.floor(startWall / DAY_MS) * DAY_MS - DAY_MS;
  for (let index = 0; index <= SEARCH_DAYS; index++) {
    const dayStart = firstDay + index * DAY_MS;
    const date = new Date(dayStart);
    if (!dayMatches(cron, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())) continue;
    for (const hour of cron.hours) {
      for (const minute of cron.minutes) {
        const wall = dayStart + hour * 3_600_000 + minute * 60_000;
        // Offsets around one instant differ by a few hours at most: earlier wall times are before `afterMs`.
        if (wall < startWall - 3 * 3_600_000) continue;
        // A time in the spring-forward gap does not run; a repeated one runs once, at its first instant.
        const [instant] = instantsOfWallTime(wall, timeZone);
        if (instant !== undefined && instant > afterMs) return instant;
      }
    }
  }
  return undefined;
}

/** The schedule's usual gap between due times: its rate, or the gap after the first due time after `nowMs`. */
export function periodMs(schedule: Schedule, nowMs: number): number | undefined {
  if (schedule.kind === 'rate') return schedule.everyMs;
  const next = nextDueAfter(schedule, nowMs);
  if (next === undefined) return undefined;
  const after = nextDueAfter(schedule, next);
  return after === undefined ? undefined : after - next;
}

/** Due times of the schedule in (fromMs, toMs], at most `limit` of them. */
export function dueTimesBetween(schedule: Schedule, fromMs: number, toMs: number, limit = 1000): number[] {
  const due: number[] = [];
  let at = fromMs;
  while (due.length < limit) {
    const next = nextDueAfter(schedule, at);
    if (next === undefined || next > toMs) break;
    due.push(next);
    at = next;
  }
  return due;
}

/** The schedule a job declares (`schedule`, `timeZone`), or undefined when it declares none or an invalid one. */
export function scheduleOf(job: {
  schedule?: string | undefined;
  timeZone?: string | undefined;
}): Schedule | undefined {
  if (job.schedule === undefined) return undefined;
  const parsed = parseSchedule(job.schedule, job.timeZone);
  return parsed.ok ? parsed.schedule : undefined;
}
