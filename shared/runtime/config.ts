import * as z from 'zod';
import { ConfigError } from './errors';

/**
 * Reads and validates environment variables once, at cold start. A bad value fails with the
 * variable's name, what was expected and what was found, so the deployment can be fixed from the log.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const found = env[name];
    return `${name}: ${issue.message} (got ${found === undefined ? 'nothing' : JSON.stringify(found)})`;
  });
  throw new ConfigError(`Invalid environment configuration. ${problems.join('; ')}`);
}

/** Builders for common variable forms; each names its expected form in the error. */
export const env = {
  string: () =>
    z.string({ error: 'expected a non-empty string' }).trim().min(1, 'expected a non-empty string'),
  optionalString: () =>
    z
      .string()
      .trim()
      .optional()
      .transform((value) => (value === '' ? undefined : value)),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', ''], { error: 'expected true or false' })
      .optional()
      .transform((value) =>
        value === undefined || value === '' ? fallback : value === 'true' || value === '1',
      ),
  seconds: (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value.trim() === '') return fallback;
        const parsed = Number(value);
        if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
          ctx.addIssue({
            code: 'custom',
            message: `expected a whole number of seconds from ${min} to ${max}`,
          });
          return z.NEVER;
        }
        return parsed;
      }),
  integer: (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value.trim() === '') return fallback;
        const parsed = Number(value);
        if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
          ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}` });
          return z.NEVER;
        }
        return parsed;
      }),
  /** A number, fractions allowed (a percentage such as 25 or 0.5). */
  number: (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value.trim() === '') return fallback;
        const parsed = Number(value);
        if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
          ctx.addIssue({ code: 'custom', message: `expected a number from ${min} to ${max}` });
          return z.NEVER;
        }
        return parsed;
      }),
  /** Comma-separated list; empty entries dropped. */
  list: () =>
    z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      ),
  /** A JSON document validated by a schema, e.g. per-group policies. */
  json: <T extends z.ZodType>(schema: T, fallback: z.output<T>) =>
    z
      .string()
      .optional()
      .transform((value, ctx): z.output<T> => {
        if (value === undefined || value.trim() === '') return fallback;
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'expected JSON' });
          return z.NEVER;
        }
        const result = schema.safeParse(parsed);
        if (!result.success) {
          ctx.addIssue({ code: 'custom', message: z.prettifyError(result.error).replaceAll('\n', ' ') });
          return z.NEVER;
        }
        return result.data;
      }),
};
