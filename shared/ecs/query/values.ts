/** How query arguments are read: dates, versions, counts, patterns. Shared by parser and evaluator. */

/** The registeredAt forms ECS documents: 2018-06-18T22:28:28+00:00, ...Z, 2018-06-18T22:28:28, 2018-06-18. */
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})?)?$/;

export interface QueryDate {
  /** Epoch milliseconds of the start of the day (date only) or of the second. */
  epochMs: number;
  /** A date without a time compares by UTC day. */
  dateOnly: boolean;
}

export function parseQueryDate(text: string): QueryDate | undefined {
  const match = DATE_PATTERN.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, zone] = match;
  const dateOnly = hour === undefined;
  const iso = dateOnly
    ? `${year}-${month}-${day}T00:00:00Z`
    : `${year}-${month}-${day}T${hour}:${minute}:${second}${zone === undefined ? 'Z' : zone}`;
  const epochMs = Date.parse(iso);
  if (Number.isNaN(epochMs)) return undefined;
  // Date.parse rolls 2018-02-30 over to March; a date that does not round-trip is not a date.
  const utc = new Date(Date.parse(`${year}-${month}-${day}T00:00:00Z`));
  if (utc.getUTCDate() !== Number(day) || utc.getUTCMonth() + 1 !== Number(month)) return undefined;
  if (Number(hour ?? 0) > 23 || Number(minute ?? 0) > 59 || Number(second ?? 0) > 59) return undefined;
  return { epochMs, dateOnly };
}

const DAY_MS = 86_400_000;

/** Compares an instance's registration time with a query date, at the query's granularity. */
export function compareToQueryDate(registeredAt: Date, date: QueryDate): number {
  const at = registeredAt.getTime();
  const unit = date.dateOnly ? DAY_MS : 1000;
  return Math.sign(Math.floor(at / unit) - Math.floor(date.epochMs / unit));
}

const VERSION_PATTERN = /^v?\d+(?:\.\d+)*$/;

export const isVersion = (text: string): boolean => VERSION_PATTERN.test(text);

/** Compares dotted versions segment by segment; missing segments count as 0 (1.14 == 1.14.0). */
export function compareVersions(a: string, b: string): number {
  const left = a.replace(/^v/, '').split('.').map(Number);
  const right = b.replace(/^v/, '').split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

export const isWholeNumber = (text: string): boolean => /^\d+$/.test(text);

const NUMBER_PATTERN = /^-?\d+(?:\.\d+)?$/;

/** Attribute values order as numbers when both are numbers, as versions when both are versions, else as text. */
export function compareLoosely(a: string, b: string): number {
  if (NUMBER_PATTERN.test(a) && NUMBER_PATTERN.test(b)) return Math.sign(Number(a) - Number(b));
  if (isVersion(a) && isVersion(b)) return compareVersions(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

const patternCache = new Map<string, RegExp>();

/**
 * The documented argument of matches/not_matches is a Java regular expression that must match the
 * whole value (`t2.*` matches `t2.micro`). Throws SyntaxError when JavaScript cannot compile it.
 */
export function compilePattern(pattern: string): RegExp {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    compiled = new RegExp(`^(?:${pattern})$`);
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, compiled);
  }
  return compiled;
}
